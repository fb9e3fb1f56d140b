/* hw_spec.h - private to hwmodel/: lookups in the spec library used by the loader. */
#ifndef TC_HW_SPEC_H
#define TC_HW_SPEC_H

#include "hwmodel.h"

/* Path of the spec file of an id or alias (case-insensitive); NULL when unknown. */
const char *tc_hw_lookup(const struct tc_hw *hw, const char *name);

#endif
