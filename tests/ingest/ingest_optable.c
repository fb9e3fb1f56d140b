/* ingest_optable.c - the operator-table adapter (NeuSight micro and model layouts): work of
 * every op class on hand-worked shapes, quoting, layer repetition, backward order, the
 * opstream it writes, and bad rows failing with the file and line. */
#include <criterion/criterion.h>
#include <math.h>

#include "ingest_test.h"

static char dir[64];

static const char *put(const char *name, const char *text)
{
	static char path[160];
	if (!dir[0])
		tmpdir_make(dir, sizeof(dir));
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	write_file(path, text, strlen(text));
	return path;
}

static struct tc_optable *read_ok(const char *path)
{
	struct tc_optable *t = NULL;
	struct tc_err err = TC_ERR_INIT;
	int rc = tc_optable_read(&t, path, &err);
	cr_assert_eq(rc, 0, "%s", err.msg);
	return t;
}

static const char micro[] =
    "OPName,Latency,Device,Kernel Name,B,M,N,K\n"
    "bmm,0.05,Tesla T4,\"volta_sgemm_64x64_nn, with \"\"quotes\"\"\",2,3,4,5\n"
    "linear,0.02,Tesla T4,k,2,3,4,5\n";

Test(optable, micro_gemms_hand_worked)
{
	struct tc_optable *t = read_ok(put("m.csv", micro));
	cr_assert_eq(t->layout, TC_OPTABLE_MICRO);
	cr_assert_str_eq(t->device, "Tesla T4");
	cr_assert_eq(t->n_rows, 2);
	/* bmm [2,3,5] x [2,5,4]: 2*2*3*4*5 = 240 FLOP; read (30 + 40) * 4 B = 280; write
	 * 2*3*4 * 4 B = 96; batch 2 of m=3 n=4 k=5 */
	const struct tc_optable_row *r = &t->rows[0];
	cr_assert_str_eq(r->name, "bmm");
	cr_assert_str_eq(r->dims, "B=2 M=3 N=4 K=5");
	cr_assert_eq(r->op_class, TC_CLASS_GEMM);
	cr_assert_eq(r->work.flops, 240);
	cr_assert_eq(r->work.bytes_read, 280);
	cr_assert_eq(r->work.bytes_written, 96);
	cr_assert_eq(r->work.batch, 2);
	cr_assert_eq(r->work.m, 3);
	cr_assert_eq(r->work.n, 4);
	cr_assert_eq(r->work.k, 5);
	cr_assert_eq(r->work.dtype, TC_DT_F32);
	cr_assert_float_eq(r->latency_ns, 50000, 1e-6);
	cr_assert_eq(r->line, 2);
	/* linear [2,3,5] x W[4,5]: one GEMM of m = 2*3 = 6, n 4, k 5: 240 FLOP; read
	 * (30 + 20) * 4 = 200; write 6*4 * 4 = 96 */
	r = &t->rows[1];
	cr_assert_eq(r->work.flops, 240);
	cr_assert_eq(r->work.m, 6);
	cr_assert_eq(r->work.batch, 1);
	cr_assert_eq(r->work.bytes_read, 200);
	cr_assert_eq(r->work.bytes_written, 96);
	cr_assert_eq(r->line, 3);
	tc_optable_free(t);
}

Test(optable, micro_vector_ops_hand_worked)
{
	struct tc_optable *t = read_ok(put("v.csv", "OPName,Latency,Device,B,H\n"
						    "add,0.016,AMD Instinct MI100,2,3\n"
						    "addu,0.017,AMD Instinct MI100,2,3\n"
						    "ln,0.02,AMD Instinct MI100,2,3\n"
						    "softmax,0.03,AMD Instinct MI100,2,3\n"
						    "gelu,0.01,AMD Instinct MI100,2,3\n"));
	cr_assert_eq(t->n_rows, 5);
	/* add of two [2,3] fp32 tensors: reads 2*6*4 = 48 B, writes 24 B */
	cr_assert_eq(t->rows[0].op_class, TC_CLASS_ELEMENTWISE);
	cr_assert_eq(t->rows[0].work.bytes_read, 48);
	cr_assert_eq(t->rows[0].work.bytes_written, 24);
	/* addu (CUDAFunctorOnSelf_add: tensor and a scalar): reads 24, writes 24 */
	cr_assert_eq(t->rows[1].work.bytes_read, 24);
	cr_assert_eq(t->rows[1].work.bytes_written, 24);
	/* layer norm over H=3: input 24 + weight 12 + bias 12 = 48 read, 24 written */
	cr_assert_eq(t->rows[2].op_class, TC_CLASS_NORM);
	cr_assert_eq(t->rows[2].work.bytes_read, 48);
	cr_assert_eq(t->rows[2].work.bytes_written, 24);
	/* softmax: 24 in, 24 out */
	cr_assert_eq(t->rows[3].op_class, TC_CLASS_SOFTMAX);
	cr_assert_eq(t->rows[3].work.bytes_read, 24);
	cr_assert_eq(t->rows[3].work.bytes_written, 24);
	cr_assert_eq(t->rows[4].op_class, TC_CLASS_ELEMENTWISE);
	cr_assert_eq(t->rows[4].work.bytes_read, 24);
	tc_optable_free(t);
}

Test(optable, micro_conv_hand_worked)
{
	/* [1,2,5,5] * [3,2,3,3], stride 1, pad 1: output 5x5; 2*1*3*(2*9)*25 = 2700 FLOP */
	struct tc_optable *t =
	    read_ok(put("c.csv", "OPName,Latency,Device,B,Input_Channel,Output_Channel,Kernel_Szie,"
				 "Input_Size,Stride,Padding\nconv,0.5,Tesla P4,1,2,3,3,5,1,1\n"));
	cr_assert_eq(t->rows[0].op_class, TC_CLASS_CONV);
	cr_assert_eq(t->rows[0].work.flops, 2700);
	cr_assert_eq(t->rows[0].work.m, 25);
	cr_assert_eq(t->rows[0].work.n, 3);
	cr_assert_eq(t->rows[0].work.k, 18);
	tc_optable_free(t);
}

static const char model_csv[] =
    "op,target,meta,input_shapes,input_contiguous,latency,fw_latency,bw_latency,output_shape,"
    "dtype,Name\n"
    "placeholder,input_ids,{},[],[],0.0,0.0,0,\"(8, 512)\",torch.int64,input_ids\n"
    "call_module,bert.embeddings.word_embeddings,{},\"[[8, 512]]\",[True],0.3,0.2,0.1,"
    "\"(8, 512, 1024)\",torch.float32,emb\n"
    "call_module,bert.encoder.layer.0.attention.self.query,{},\"[[8, 512, 1024]]\",[True],"
    "3.0,1.0,2.0,\"(8, 512, 1024)\",torch.float32,q\n"
    "call_function,<built-in method matmul of type object at 0x7f>,"
    "\"{'nn_module_stack': OrderedDict([('bert.encoder.layer.0', 'x')])}\","
    "\"[[8, 16, 512, 64], [8, 16, 64, 512]]\",\"[True, True]\",1.5,1.0,0.5,"
    "\"(8, 16, 512, 512)\",torch.float32,matmul\n"
    "call_method,size,{},\"[[8, 512, 1024]]\",[True],0.01,0.01,0,\"(1,)\",,size\n"
    "call_function,<built-in function add>,{},[[1]],[True],0.01,0.01,0,\"(1,)\",,add\n"
    "call_module,bert.encoder.layer.0.output.dropout,{},\"[[8, 512, 1024]]\",[True],0.02,"
    "0.01,0.01,\"(8, 512, 1024)\",torch.float32,drop\n"
    "output,output,{},\"[[8, 2]]\",[True],0.0,0.0,0,\"(8, 2)\",torch.float32,output\n";

Test(optable, model_inference_repeats_the_traced_layer)
{
	put("bert_large-inf-512-8.json",
	    "{\"num_layer\": 24, \"e2e_latency\": 100.5, \"fw_latency\": 100.5}");
	struct tc_optable *t = read_ok(put("bert_large-inf-512-8.csv", model_csv));
	cr_assert_eq(t->layout, TC_OPTABLE_MODEL);
	cr_assert_str_eq(t->model, "bert_large-inf-512-8");
	cr_assert_eq(t->training, 0);
	cr_assert_eq(t->num_layers, 24);
	cr_assert_float_eq(t->e2e_ns, 100.5e6, 1);
	/* placeholder and output dropped: emb, q, matmul, size, add, dropout */
	cr_assert_eq(t->n_rows, 6);
	cr_assert_eq(t->rows[0].op_class, TC_CLASS_EMBEDDING);
	cr_assert_eq(t->rows[0].repeat, 1);
	/* the query Linear: m = 8*512, n = k = 1024; in layer 0, so 24 times */
	cr_assert_eq(t->rows[1].op_class, TC_CLASS_GEMM);
	cr_assert_eq(t->rows[1].work.m, 4096);
	cr_assert_eq(t->rows[1].work.n, 1024);
	cr_assert_eq(t->rows[1].work.k, 1024);
	cr_assert_eq(t->rows[1].repeat, 24);
	/* matmul: batch 8*16 of 512x64 x 64x512, in layer 0 by its module stack */
	cr_assert_eq(t->rows[2].work.batch, 128);
	cr_assert_eq(t->rows[2].work.m, 512);
	cr_assert_eq(t->rows[2].work.k, 64);
	cr_assert_eq(t->rows[2].repeat, 24);
	/* size, Python int add and eval-mode dropout launch no kernel */
	cr_assert_eq(t->rows[3].op_class, TC_CLASS_HOST);
	cr_assert_eq(t->rows[4].op_class, TC_CLASS_HOST);
	cr_assert_eq(t->rows[5].op_class, TC_CLASS_HOST);
	/* fw latencies, the layer's (q, matmul, dropout) repeated: 0.2 + 24 * (1.0 + 1.0 +
	 * 0.01) + 0.01 + 0.01 (size, add) */
	cr_assert_float_eq(tc_optable_measured_total_ns(t), (0.2 + 24 * 2.01 + 0.02) * 1e6, 1);
	tc_optable_free(t);
}

Test(optable, model_training_appends_backward_in_reverse)
{
	struct tc_optable *t = read_ok(put("bert_large-train-512-2.csv", model_csv));
	cr_assert_eq(t->training, 1);
	cr_assert_eq(t->num_layers, 0); /* no JSON beside it */
	cr_assert(isnan(t->e2e_ns));
	/* 6 forward rows, then the 4 with a backward time, last first: drop, matmul, q, emb */
	cr_assert_eq(t->n_rows, 10);
	static const char *const order[] = {"drop", "matmul", "q", "emb"};
	for (int i = 0; i < 4; i++) {
		const struct tc_optable_row *r = &t->rows[6 + i];
		cr_assert_str_eq(r->name, order[i]);
		cr_assert_eq(r->backward, 1);
	}
	/* training dropout is a kernel; the backward of a GEMM does twice its FLOPs */
	cr_assert_eq(t->rows[5].op_class, TC_CLASS_ELEMENTWISE);
	cr_assert_eq(t->rows[8].work.flops, 2 * t->rows[1].work.flops);
	cr_assert_float_eq(t->rows[8].latency_ns, 2.0e6, 1);
	cr_assert_float_eq(t->rows[1].latency_ns, 1.0e6, 1);
	tc_optable_free(t);
}

Test(optable, ingest_writes_an_opstream)
{
	struct rb b;
	memset(&b, 0, sizeof(b));
	struct tc_err err = TC_ERR_INIT;
	const char *p = put("m2.csv", micro);
	cr_assert_eq(ingest_paths(&b, &p, 1, &err), 0, "%s", err.msg);
	cr_assert_eq(read_back(&b, &err), 0, "%s", err.msg);
	cr_assert_eq(b.n, 2);
	const struct tc_ops_header *h = tc_ops_reader_header(b.r);
	cr_assert_str_eq(h->source_format, "optable");
	cr_assert_str_eq(h->devices[0].name, "Tesla T4");
	/* back to back on one stream, measured durations */
	cr_assert_eq(b.ops[0].ts_ns, 0);
	cr_assert_eq(b.ops[0].dur_ns, 50000);
	cr_assert_eq(b.ops[1].ts_ns, 50000);
	cr_assert_eq(b.ops[0].kind, TC_KIND_KERNEL);
	cr_assert_eq(b.ops[0].op_class, TC_CLASS_GEMM);
	cr_assert_eq(b.ops[0].gemm_batch, 2);
	cr_assert_str_eq(tc_ops_reader_string(b.r, b.ops[0].name), "bmm [B=2 M=3 N=4 K=5]");
	rb_free(&b);
}

/* Each bad row: the error names the file and the line of the offending record. */
Test(optable, bad_rows_name_file_and_line)
{
	static const struct {
		const char *text, *want;
	} cases[] = {
	    {"OPName,Latency,Device,B,H\nadd,0.1,X,1,2\nadd,abc,X,1,2\n",
	     ":3: Latency: not a non-negative latency"},
	    {"OPName,Latency,Device,B,H\nadd,-0.1,X,1,2\n", ":2: Latency"},
	    {"OPName,Latency,Device,B,H\nadd,nan,X,1,2\n", ":2: Latency"},
	    {"OPName,Latency,Device,B,H\nfoo,0.1,X,1,2\n", ":2: OPName: unknown operator 'foo'"},
	    {"OPName,Latency,Device,B,H\nadd,0.1,X,0,2\n", ":2: B: not a positive dimension"},
	    {"OPName,Latency,Device,B,H\nadd,0.1,X,1,2x\n", ":2: H: not a positive dimension"},
	    {"OPName,Latency,Device,B,H\nadd,0.1,X,1\n", ":2: 4 fields, the header has 5"},
	    {"OPName,Latency,Device,B,H\nadd,0.1,X,1,2\nadd,0.1,\"X,1,2\n",
	     ":3: unterminated quoted field"},
	    {"OPName,Latency,Device,B,H\nadd,0.1,\"X\"Y,1,2\n", ":2: text after a closing quote"},
	    {"OPName,Latency,Device,B,H\nadd,0.1,X,1,2\nadd,0.1,Y,1,2\n",
	     ":3: Device: 'Y' differs from 'X'"},
	    {"OPName,Latency,Device,B,M,N,K\nbmm,0.1,X,1,2,3\n", ":2: 6 fields"},
	    {"OPName,Device,B,H\nadd,X,1,2\n", ":1: no 'Latency' column"},
	    {"a,b,c\n1,2,3\n", ":1: neither a micro table"},
	    {"OPName,Latency,Device,B,H\n", "no operator rows"},
	    {"op,target,input_shapes,output_shape,dtype,Name,fw_latency\n"
	     "call_function,<built-in function add>,\"[[2, 3], [2\",\"(2, 3)\",torch.float32,"
	     "add,0.1\n",
	     ":2: input_shapes: malformed"},
	    {"op,target,input_shapes,output_shape,dtype,Name,fw_latency\n"
	     "call_magic,x,[],\"(2, 3)\",torch.float32,x,0.1\n",
	     ":2: op: unknown node kind 'call_magic'"},
	    {"op,target,input_shapes,output_shape,dtype,Name\ncall_method,size,[],\"(1,)\",,s\n",
	     ":1: no 'fw_latency' or 'latency' column"},
	};
	for (size_t i = 0; i < TC_ARRAY_LEN(cases); i++) {
		char name[32];
		snprintf(name, sizeof(name), "bad%zu.csv", i);
		const char *p = put(name, cases[i].text);
		struct tc_optable *t = (struct tc_optable *)1;
		struct tc_err err = TC_ERR_INIT;
		int rc = tc_optable_read(&t, p, &err);
		cr_assert_lt(rc, 0, "case %zu passed", i);
		cr_assert_null(t);
		cr_assert(strstr(err.msg, name), "case %zu: no file name in '%s'", i, err.msg);
		cr_assert(strstr(err.msg, cases[i].want), "case %zu: '%s' lacks '%s'", i, err.msg,
			  cases[i].want);
		cr_assert_null(strchr(err.msg, '\n'), "one line");
		/* the same bytes through the fuzz entry fail too */
		cr_assert_lt(tc_optable_check_mem(cases[i].text, strlen(cases[i].text), &err), 0,
			     "case %zu", i);
	}
}

Test(optable, bad_model_json_is_an_error)
{
	put("gpt2_large-inf-1024-4.json", "{\"num_layer\": -3}");
	const char *p = put("gpt2_large-inf-1024-4.csv", model_csv);
	struct tc_optable *t = NULL;
	struct tc_err err = TC_ERR_INIT;
	cr_assert_lt(tc_optable_read(&t, p, &err), 0);
	cr_assert(strstr(err.msg, "gpt2_large-inf-1024-4.json: num_layer"), "%s", err.msg);
}

Test(optable, mixed_devices_are_refused)
{
	struct rb b;
	memset(&b, 0, sizeof(b));
	struct tc_err err = TC_ERR_INIT;
	const char *paths[2];
	paths[0] = tc_xstrdup(put("d1.csv", "OPName,Latency,Device,B,H\nadd,0.1,X,1,2\n"));
	paths[1] = tc_xstrdup(put("d2.csv", "OPName,Latency,Device,B,H\nadd,0.1,Y,1,2\n"));
	cr_assert_lt(ingest_paths(&b, paths, 2, &err), 0);
	cr_assert(strstr(err.msg, "one device per opstream"), "%s", err.msg);
	free((void *)paths[0]);
	free((void *)paths[1]);
	rb_free(&b);
}
