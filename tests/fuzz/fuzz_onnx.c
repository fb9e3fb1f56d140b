/* fuzz_onnx - the ONNX adapter on arbitrary bytes: parse, fold, sort, infer shapes and work
 * and plan the training ops (everything but the file write). It must return an error or an
 * analysed graph, never crash, hang or leak. */
#include <stdint.h>
#include <stddef.h>

#include "onnx/onnx.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const dims[] = {"batch=3", "seq=5"};
	struct tc_ingest_opts opts = TC_INGEST_OPTS_INIT;
	struct tc_err err = TC_ERR_INIT;
	struct tc_onnx_graph *g = NULL;
	opts.dims = dims;
	opts.n_dims = 2;
	opts.training = 1;
	if (tc_onnx_load_mem(&g, data, size, "fuzz.onnx", &opts, &err) == 0) {
		struct tc_onnx_summary s;
		tc_onnx_summary(g, &s);
		tc_onnx_free(g);
	}
	return 0;
}
