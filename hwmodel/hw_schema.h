/* hw_schema.h - private to hwmodel/: the spec schema tree and its validators. */
#ifndef TC_HW_SCHEMA_H
#define TC_HW_SCHEMA_H

#include "hw_internal.h"

enum tc_stype {
	TC_ST_OBJ = 0,
	TC_ST_NUM,
	TC_ST_INT,
	TC_ST_STR,
	TC_ST_BOOL,
	TC_ST_CURVE, /* [[size, eff], ...] */
	TC_ST_STRLIST,
	TC_ST_SOURCES, /* { "key.path": "citation" } */
	TC_ST_ENUM,
};

/* TC_SF_ZERO_OK: 0 means "not supported" (a peak), so 0 passes the min bound */
enum { TC_SF_REQ = 1u << 0, TC_SF_GT0 = 1u << 1, TC_SF_ZERO_OK = 1u << 2 };

/* Curve efficiencies below this are refused: with the smallest peaks the schema allows, a
 * large op would take longer than any time the replay can hold. */
#define TC_HW_EFF_MIN 1e-3

struct tc_snode {
	const char *key;
	int type;
	unsigned flags;
	double min, max; /* inclusive bounds for numbers: min = the physical floor (a rate or
			  * size below it would only make times overflow), max = "absurd" */
	const struct tc_snode *kids; /* TC_ST_OBJ: terminated by key == NULL */
	const char *const *enumv;    /* TC_ST_ENUM: NULL-terminated */
};

extern const struct tc_snode tc_hw_schema_root;
const struct tc_snode *tc_hw_schema_child(const struct tc_snode *node, const char *key, size_t len);
/* Node of a dotted key path ("memory.hbm.bw_gbs"); NULL when the schema has no such field. */
const struct tc_snode *tc_hw_schema_find(const char *path);
/* Validate one value (leaf) or a whole subtree; need_required checks required fields too. */
int tc_hw_check_value(const struct tc_snode *s, const char *file, const char *path, json_t *v,
		      struct tc_err *err);
int tc_hw_check_tree(const struct tc_snode *s, const char *file, const char *path, json_t *v,
		     int need_required, struct tc_err *err);

#endif
