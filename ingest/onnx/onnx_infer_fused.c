/* onnx_infer_fused.c - shape inference and work of recurrent layers, the com.microsoft
 * fused attention operators, Einsum, and the small remaining operators. */
#include "onnx_infer.h"

/* ---- recurrent ---------------------------------------------------------------------------- */

/* LSTM (4 gates), GRU (3), RNN (1): per step 2 x gates x hidden x (input + hidden) MACs per
 * batch row and direction, plus ~ 8 x gates x hidden elementwise FLOPs. layout = 0 only. */
int ox_do_rnn(struct tc_onnx_graph *g, struct ox_node *n)
{
	struct ox_tensor *x = IN(0), *w = IN(1);
	int gates = !strcmp(n->op, "LSTM") ? 4 : !strcmp(n->op, "GRU") ? 3 : 1;
	if (!x || !w || x->rank != 3 || ox_attr_i(n, "layout", 0) != 0)
		return 0;
	int64_t hidden = ox_attr_i(n, "hidden_size", -1);
	const char *dir = ox_attr_s(g, n, "direction", "forward");
	int64_t dirs = !strcmp(dir, "bidirectional") ? 2 : 1;
	int64_t seq = x->dims[0], batch = x->dims[1], input = x->dims[2];
	n->gemm_like = 1;
	struct ox_tensor *y = OUT(0);
	if (y) {
		y->elem = x->elem;
		y->rank = 4;
		y->dims[0] = seq, y->dims[1] = dirs, y->dims[2] = batch, y->dims[3] = hidden;
	}
	for (uint32_t k = 1; k < 3; k++) {
		struct ox_tensor *h = OUT(k);
		if (!h)
			continue;
		h->elem = x->elem;
		h->rank = 3;
		h->dims[0] = dirs, h->dims[1] = batch, h->dims[2] = hidden;
	}
	if (seq < 0 || batch < 0 || input < 0 || hidden <= 0)
		return 0;
	uint64_t rows = (uint64_t)seq * (uint64_t)batch * (uint64_t)dirs;
	n->flops = rows * (uint64_t)gates * (uint64_t)hidden * (2 * (uint64_t)(input + hidden) + 8);
	return 1;
}

/* ---- attention (com.microsoft fused operators) --------------------------------------------- */

/* Attention core for B batches, H heads, S queries, L keys, head sizes dk (QK) and dv (AV):
 * 2 B H S L dk (QK^T) + 2 B H S L dv (AV) + 5 B H S L (softmax). */
static uint64_t attn_core(int64_t B, int64_t H, int64_t S, int64_t L, int64_t dk, int64_t dv)
{
	uint64_t bhsl = (uint64_t)B * (uint64_t)H * (uint64_t)S * (uint64_t)L;
	return bhsl * (2 * (uint64_t)dk + 2 * (uint64_t)dv + 5);
}

/* Attention: input [B, S, Din], weights [Din, Dq + Dk + Dv] (qkv_hidden_sizes, default equal
 * thirds), bias, mask, past [2, B, H, P, head]. Output [B, S, Dv], present [2, B, H, P+S, head].
 * FLOPs = fused QKV projection 2 B S Din (Dq+Dk+Dv) + core. */
int ox_do_ms_attention(struct tc_onnx_graph *g, struct ox_node *n)
{
	struct ox_tensor *x = IN(0), *w = IN(1), *past = IN(4), *o = OUT(0);
	int64_t H = ox_attr_i(n, "num_heads", 0);
	if (!x || !w || !o || x->rank != 3 || w->rank != 2 || H <= 0)
		return 0;
	size_t nq;
	const int64_t *qkv = ox_attr_ints(n, "qkv_hidden_sizes", &nq);
	int64_t tot = w->dims[1], dq = tot < 0 ? -1 : tot / 3, dk = dq, dv = dq;
	if (nq == 3)
		dq = qkv[0], dk = qkv[1], dv = qkv[2];
	int64_t B = x->dims[0], S = x->dims[1], Din = x->dims[2];
	o->elem = x->elem;
	o->rank = 3;
	o->dims[0] = B, o->dims[1] = S, o->dims[2] = dv;
	int64_t P = past && past->rank == 5 ? past->dims[3] : 0;
	if (OUT(1)) {
		struct ox_tensor *pr = OUT(1);
		pr->elem = x->elem;
		pr->rank = 5;
		pr->dims[0] = 2, pr->dims[1] = B, pr->dims[2] = H;
		pr->dims[3] = P < 0 || S < 0 ? -1 : P + S;
		pr->dims[4] = dk < 0 ? -1 : dk / H;
	}
	n->gemm_like = 1;
	if (B < 0 || S < 0 || Din < 0 || tot < 0 || P < 0 || dq < 0 || dk < 0 || dv < 0)
		return 0;
	n->flops = 2 * (uint64_t)B * (uint64_t)S * (uint64_t)Din * (uint64_t)(dq + dk + dv) +
		   attn_core(B, H, S, S + P, dq / H, dv / H);
	return 1;
}

/* MultiHeadAttention: query [B, S, D], key [B, L, D] or [B, H, L, head], value likewise,
 * (packed QKV [B, S, H, 3, head] when key is absent). Output [B, S, Dv]. Also the standard
 * opset-23 Attention in its 3-D form. FLOPs = core (projections are separate MatMuls). */
int ox_do_mha(struct tc_onnx_graph *g, struct ox_node *n)
{
	struct ox_tensor *q = IN(0), *k = IN(1), *v = IN(2), *o = OUT(0);
	int64_t H = ox_attr_i(n, "num_heads", ox_attr_i(n, "q_num_heads", 0));
	if (!q || !o || H <= 0)
		return 0;
	int64_t B, S, D, L, Dv;
	if (q->rank == 5 && !k) { /* packed QKV */
		B = q->dims[0], S = q->dims[1], L = S;
		D = dmul(H, q->dims[4]);
		Dv = D;
	} else if (q->rank == 3 && k && v) {
		B = q->dims[0], S = q->dims[1], D = q->dims[2];
		L = k->rank == 4 ? k->dims[2] : k->rank == 3 ? k->dims[1] : -1;
		Dv = v->rank == 4 ? dmul(H, v->dims[3]) : v->rank == 3 ? v->dims[2] : -1;
	} else if (q->rank == 4 && k && v && k->rank == 4 && v->rank == 4) {
		/* opset-23 Attention 4-D: [B, H, S, head] */
		B = q->dims[0], S = q->dims[2], L = k->dims[2];
		D = dmul(H, q->dims[3]);
		Dv = dmul(H, v->dims[3]);
		copy_shape(o, q);
		o->dims[3] = v->dims[3];
		n->gemm_like = 1;
		if (B < 0 || S < 0 || L < 0 || D < 0 || Dv < 0)
			return 0;
		n->flops = attn_core(B, H, S, L, D / H, Dv / H);
		return 1;
	} else {
		return 0;
	}
	o->elem = q->elem;
	o->rank = 3;
	o->dims[0] = B, o->dims[1] = S, o->dims[2] = Dv;
	n->gemm_like = 1;
	/* past_key [B, H, P, head] (inputs 6, 7) extends the keys */
	struct ox_tensor *pk = IN(6);
	int64_t P = pk && pk->rank == 4 ? pk->dims[2] : 0;
	for (uint32_t i = 1; i < 3; i++) {
		struct ox_tensor *pr = OUT(i);
		if (!pr)
			continue;
		pr->elem = q->elem;
		pr->rank = 4;
		pr->dims[0] = B, pr->dims[1] = H;
		pr->dims[2] = L < 0 || P < 0 ? -1 : L + P;
		pr->dims[3] = (i == 1 ? D : Dv) < 0 ? -1 : (i == 1 ? D : Dv) / H;
	}
	if (B < 0 || S < 0 || L < 0 || D < 0 || Dv < 0 || P < 0)
		return 0;
	n->flops = attn_core(B, H, S, L + P, D / H, Dv / H);
	return 1;
}

/* GroupQueryAttention: query [B, S, H head] (or packed [B, S, (H + 2 Hkv) head] without key),
 * key/value [B, S, Hkv head], past_key/value [B, Hkv, P, head]. The keys seen are the past
 * plus the new ones; with a shared buffer the past is the buffer and already counts them.
 * Output [B, S, H head], present [B, Hkv, P(+S), head]. FLOPs = core over H query heads. */
int ox_do_gqa(struct tc_onnx_graph *g, struct ox_node *n)
{
	struct ox_tensor *q = IN(0), *k = IN(1), *pk = IN(3), *o = OUT(0);
	int64_t H = ox_attr_i(n, "num_heads", 0), Hkv = ox_attr_i(n, "kv_num_heads", 0);
	if (!q || !o || q->rank != 3 || H <= 0 || Hkv <= 0)
		return 0;
	int64_t B = q->dims[0], S = q->dims[1], head;
	if (k && k->rank == 3)
		head = q->dims[2] < 0 ? -1 : q->dims[2] / H;
	else
		head = q->dims[2] < 0 ? -1 : q->dims[2] / (H + 2 * Hkv);
	int64_t P = pk && pk->rank == 4 ? pk->dims[2] : 0;
	/* present = past + new (a shared max-length buffer would overcount by S keys) */
	int64_t L = P < 0 || S < 0 ? -1 : P + S;
	o->elem = q->elem;
	o->rank = 3;
	o->dims[0] = B, o->dims[1] = S, o->dims[2] = dmul(H, head);
	for (uint32_t i = 1; i < 3; i++) {
		struct ox_tensor *pr = OUT(i);
		if (!pr)
			continue;
		pr->elem = q->elem;
		pr->rank = 4;
		pr->dims[0] = B, pr->dims[1] = Hkv, pr->dims[2] = L, pr->dims[3] = head;
	}
	n->gemm_like = 1;
	if (B < 0 || S < 0 || head < 0 || L < 0)
		return 0;
	n->flops = attn_core(B, H, S, L, head, head);
	if (ox_attr_i(n, "do_rotary", 0)) /* rotary on q and k: 3 FLOPs per element */
		n->flops += 3 * (uint64_t)B * (uint64_t)S * (uint64_t)(H + Hkv) * (uint64_t)head;
	return 1;
}

/* EmbedLayerNormalization: input_ids [B, S], segment_ids, word/position/segment embeddings
 * [*, Hd], gamma, beta, mask. Output [B, S, Hd] (+ mask_index [B], embedding sum).
 * FLOPs per output element: 2 adds + LayerNorm 7. */
int ox_do_embed_ln(struct tc_onnx_graph *g, struct ox_node *n)
{
	struct ox_tensor *ids = IN(0), *we = IN(2), *o = OUT(0);
	if (!ids || !we || !o || ids->rank != 2 || we->rank != 2)
		return 0;
	o->elem = we->elem;
	o->rank = 3;
	o->dims[0] = ids->dims[0], o->dims[1] = ids->dims[1], o->dims[2] = we->dims[1];
	struct ox_tensor *mask = OUT(1);
	if (mask) {
		mask->elem = OX_INT32;
		mask->rank = 1;
		mask->dims[0] = ids->dims[0];
	}
	if (OUT(2))
		copy_shape(OUT(2), o);
	n->cls = TC_CLASS_EMBEDDING;
	int64_t e = numel(o);
	if (e < 0)
		return 0;
	n->flops = (uint64_t)e * 9;
	return 1;
}

/* ---- Einsum ----------------------------------------------------------------------------- */

/* Common forms: up to 3 operands, explicit "->" or implicit output, "..." for leading dims.
 * FLOPs = 2 x prod(all index sizes) for two or more operands (each product term is a
 * multiply-add), prod(all index sizes) for one (a sum or a transpose). */
int ox_do_einsum(struct tc_onnx_graph *g, struct ox_node *n)
{
	struct ox_tensor *o = OUT(0);
	const char *eq = ox_attr_s(g, n, "equation", NULL);
	if (!o || !eq || n->nin < 1 || n->nin > 3 || !IN(0))
		return 0;
	o->elem = IN(0)->elem;
	int64_t size[128];
	int count[128] = {0};
	for (int i = 0; i < 128; i++)
		size[i] = -2; /* unseen */
	const char *p = eq;
	char lhs_labels[3][OX_MAXR + 1];
	int ell_rank = 0;
	char ell_lab[OX_MAXR];
	for (int i = 0; i < OX_MAXR; i++)
		ell_lab[i] = (char)('0' + i); /* digits are never einsum labels */
	for (uint32_t k = 0; k < n->nin; k++) {
		const struct ox_tensor *t = IN(k);
		if (!t || t->rank < 0)
			return 0;
		int nl = 0, named = 0;
		const char *q = p;
		while (*q && *q != ',' && *q != '-') {
			if (*q == '.') {
				q += 3;
				continue;
			}
			if (*q != ' ')
				named++;
			q++;
		}
		int er = t->rank - named;
		if (er < 0 || er > OX_MAXR)
			return 0;
		int d = 0;
		while (*p && *p != ',' && *p != '-') {
			if (*p == ' ') {
				p++;
				continue;
			}
			if (*p == '.') {
				if (strncmp(p, "...", 3) != 0)
					return 0;
				ell_rank = TC_MAX(ell_rank, er);
				for (int e = 0; e < er; e++) {
					char c = ell_lab[OX_MAXR - er + e];
					if (nl >= OX_MAXR)
						return 0;
					lhs_labels[k][nl++] = c;
				}
				p += 3;
				continue;
			}
			if (nl >= OX_MAXR || (unsigned char)*p >= 128)
				return 0;
			lhs_labels[k][nl++] = *p++;
		}
		if (nl != t->rank)
			return 0;
		lhs_labels[k][nl] = 0;
		for (int i = 0; i < nl; i++) {
			int c = (unsigned char)lhs_labels[k][i];
			int64_t dim = t->dims[i];
			count[c]++;
			if (size[c] == -2 || size[c] == 1 || size[c] == -1)
				size[c] = size[c] == -2 || dim != 1 ? dim : size[c];
			d++;
		}
		(void)d;
		if (*p == ',')
			p++;
	}
	char out_labels[OX_MAXR + 1];
	int no = 0;
	if (!strncmp(p, "->", 2)) {
		p += 2;
		while (*p) {
			if (*p == ' ') {
				p++;
				continue;
			}
			if (*p == '.') {
				for (int e = 0; e < ell_rank && no < OX_MAXR; e++)
					out_labels[no++] = ell_lab[OX_MAXR - ell_rank + e];
				p += 3;
				continue;
			}
			if (no >= OX_MAXR || (unsigned char)*p >= 128 ||
			    size[(unsigned char)*p] == -2)
				return 0;
			out_labels[no++] = *p++;
		}
	} else {
		/* implicit: ellipsis dims, then labels seen once, alphabetically */
		for (int e = 0; e < ell_rank && no < OX_MAXR; e++)
			out_labels[no++] = ell_lab[OX_MAXR - ell_rank + e];
		for (int c = 'A'; c <= 'z' && no < OX_MAXR; c++)
			if (count[c] == 1)
				out_labels[no++] = (char)c;
	}
	o->rank = no;
	for (int i = 0; i < no; i++)
		o->dims[i] = size[(unsigned char)out_labels[i]];
	uint64_t prod = 1;
	for (int c = 0; c < 128; c++) {
		if (size[c] == -2)
			continue;
		if (size[c] < 0)
			return 0;
		prod *= (uint64_t)size[c];
	}
	n->gemm_like = n->nin >= 2;
	n->flops = n->nin >= 2 ? 2 * prod : prod;
	return numel(o) >= 0;
}

/* ---- dispatch ---------------------------------------------------------------------------- */

int ox_do_identity(struct tc_onnx_graph *g, struct ox_node *n)
{
	struct ox_tensor *x = IN(0);
	n->view = 1;
	if (!x)
		return 0;
	for (uint32_t k = 0; k < n->nout; k++) {
		struct ox_tensor *o = OUT(k);
		if (!o)
			continue;
		copy_shape(o, x);
		o->elem = k == 0 ? x->elem : OX_BOOL; /* Dropout mask */
	}
	struct ox_tensor *o0 = OUT(0);
	if (has_vals(x) && o0)
		TC_TRY(x->iv ? set_ivals(g, o0, x->iv, x->nvals)
			     : set_fvals(g, o0, x->fv, x->nvals));
	return 1;
}

int ox_do_nonzero(struct tc_onnx_graph *g, struct ox_node *n)
{
	struct ox_tensor *x = IN(0), *o = OUT(0);
	if (!x || !o)
		return 0;
	o->elem = OX_INT64;
	o->rank = 2;
	o->dims[0] = x->rank;
	o->dims[1] = -1; /* data-dependent */
	return 0;
}

int ox_do_scatter(struct tc_onnx_graph *g, struct ox_node *n)
{
	struct ox_tensor *x = IN(0), *o = OUT(0);
	if (!x || !o)
		return 0;
	copy_shape(o, x);
	return numel(o) >= 0;
}

int ox_do_dql(struct tc_onnx_graph *g, struct ox_node *n)
{
	struct ox_tensor *x = IN(0);
	if (!x)
		return 0;
	struct ox_tensor *y = OUT(0);
	if (y) {
		copy_shape(y, x);
		y->elem = OX_UINT8;
	}
	for (uint32_t k = 1; k < 3; k++) {
		struct ox_tensor *o = OUT(k);
		if (!o)
			continue;
		o->rank = 0;
		o->elem = k == 1 ? OX_FLOAT : OX_UINT8;
	}
	int64_t e = numel(x);
	if (e < 0)
		return 0;
	n->flops = (uint64_t)e * 4; /* min/max scan, scale, round */
	return 1;
}
