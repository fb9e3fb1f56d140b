/* source.c - the error for a trace whose device names no spec: it names the device string the
 * trace carries and the closest specs, instead of leaving the user to guess. */
#include <string.h>

#include "cli.h"
#include "hwmodel.h"
#include "replay.h"

int tc_cli_unknown_source(const struct tc_hw *hw, const struct tc_replay_graph *g,
			  struct tc_err *err)
{
	const struct tc_ops_header *h = tc_replay_graph_header(g);
	struct tc_replay_graph_stats gs;
	tc_replay_graph_stats(g, &gs);
	/* nothing measured to carry over (an ONNX graph is costed on the target alone) */
	if (!gs.gpu_ops || (h && h->source_format && strcmp(h->source_format, "onnx") == 0))
		return 0;
	const char *dev = NULL;
	for (size_t i = 0; h && i < h->n_devices && !dev; i++)
		if (h->devices[i].type == TC_DEV_GPU && h->devices[i].name &&
		    h->devices[i].name[0])
			dev = h->devices[i].name;
	const char *near[3];
	size_t n = dev ? tc_hw_closest(hw, dev, near, 3) : 0;
	char list[160] = "";
	for (size_t k = 0; k < n; k++) {
		size_t used = strlen(list);
		snprintf(list + used, sizeof(list) - used, "%s%s", k ? ", " : "", near[k]);
	}
	if (!dev)
		return tc_err_set(err, TC_EINVAL,
				  "the trace names no GPU model, so the source chip is unknown: give it "
				  "with --source CHIP ('tracecast hw list')");
	return tc_err_set(err, TC_EINVAL,
			  "no chip spec matches the trace's device \"%s\"%s%s%s: give it with "
			  "--source CHIP ('tracecast hw list')",
			  dev, n ? " (closest: " : "", list, n ? ")" : "");
}
