/* source.c - inputs as an opstream (ingested into a temporary one when they are not), and
 * the error for a trace whose device names no spec: it names the device string the
 * trace carries and the closest specs, instead of leaving the user to guess. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "hwmodel.h"
#include "ingest.h"
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

int tc_cli_opstream(struct tc_cli *cli, const char *const *inputs, size_t n_in, char *tmp,
		    size_t tmp_n, const char **tcs, struct tc_err *err)
{
	*tcs = inputs[0];
	tmp[0] = 0;
	if (n_in == 1 && tc_str_endswith(inputs[0], ".tcs"))
		return 0;
	const char *dir = getenv("TMPDIR");
	snprintf(tmp, tmp_n, "%s/tracecast-XXXXXX", dir && strlen(dir) + 20 < tmp_n ? dir : "/tmp");
	int fd = mkstemp(tmp);
	if (fd < 0) {
		int rc = tc_err_set(err, TC_EIO, "cannot create a temporary file in %s", tmp);
		tmp[0] = 0;
		return rc;
	}
	close(fd);
	(void)tc_tmp_remember(tmp); /* removed on SIGINT/SIGTERM/SIGHUP too */
	struct tc_ingest_opts io = TC_INGEST_OPTS_INIT;
	io.log = &cli->log;
	TC_TRY(tc_ingest_files(inputs, n_in, tmp, &io, NULL, err));
	*tcs = tmp;
	return 0;
}
