/* fixture.h - a small projection document written by hand (schema tracecast.projection v1):
 * the figures the report tests expect to find in the HTML. */
#ifndef TC_TEST_REPORT_FIXTURE_H
#define TC_TEST_REPORT_FIXTURE_H

/* Two steps of 10 ms measured on a100, 5 ms and 4 ms projected on h100: mean step 10 ms ->
 * 4.5 ms, speedup 20/9 = 2.2222222222222223. Bounds sum to the step times (20 ms, 9 ms). */
static const char fixture_projection[] =
	"{\"schema\": \"tracecast.projection\", \"schema_version\": 1,\n"
	" \"tool\": {\"name\": \"tracecast\", \"version\": \"0.1.0\"}, \"mode\": \"projection\",\n"
	" \"input\": {\"source_format\": \"kineto\", \"source_files\": [\"run<1>.json\"], \"ops\": 40, \"gpu_ops\": 12, \"ranks\": 1, \"lanes\": 3},\n"
	" \"source_chip\": {\"id\": \"a100-sxm4-80gb\", \"name\": \"NVIDIA A100\"},\n"
	" \"target_chip\": {\"id\": \"h100-sxm5\", \"name\": \"NVIDIA H100\", \"overrides\": [\"memory.hbm.bw_gbs=4000\"]},\n"
	" \"options\": {\"host_scale\": 1, \"steps\": -1},\n"
	" \"summary\": {\"steps\": 2, \"source_step_ns\": 10000000, \"projected_step_ns\": 4500000, \"speedup\": 2.2222222222222223,\n"
	"   \"source_energy_j_per_step\": 4, \"projected_energy_j_per_step\": 2.5, \"source_steps_per_j\": 0.25, \"projected_steps_per_j\": 0.4,\n"
	"   \"source_steps_per_usd\": 1000, \"projected_steps_per_usd\": 1250.5},\n"
	" \"steps\": [\n"
	"  {\"rank\": 0, \"name\": \"ProfilerStep#1\", \"op\": 0, \"gpu_ops\": 6, \"speedup\": 2,\n"
	"   \"source\": {\"start_ns\": 0, \"step_ns\": 10000000, \"gpu_span_ns\": 9000000, \"gpu_busy_ns\": 8000000, \"energy_j\": 4, \"usd\": 0.004, \"bound_ns\": {\"compute\": 6000000, \"memory\": 2000000, \"comm\": 0, \"launch\": 0, \"host\": 1000000, \"idle\": 1000000}},\n"
	"   \"projected\": {\"start_ns\": 0, \"step_ns\": 5000000, \"gpu_span_ns\": 4000000, \"gpu_busy_ns\": 3000000, \"energy_j\": 2.5, \"usd\": 0.0008, \"bound_ns\": {\"compute\": 2000000, \"memory\": 1000000, \"comm\": 0, \"launch\": 0, \"host\": 1000000, \"idle\": 1000000}}},\n"
	"  {\"rank\": 0, \"name\": \"ProfilerStep#2\", \"op\": 20, \"gpu_ops\": 6, \"speedup\": 2.5,\n"
	"   \"source\": {\"start_ns\": 10000000, \"step_ns\": 10000000, \"gpu_span_ns\": 9000000, \"gpu_busy_ns\": 8000000, \"energy_j\": 4, \"usd\": 0.004, \"bound_ns\": {\"compute\": 6000000, \"memory\": 2000000, \"comm\": 0, \"launch\": 0, \"host\": 1000000, \"idle\": 1000000}},\n"
	"   \"projected\": {\"start_ns\": 5000000, \"step_ns\": 4000000, \"gpu_span_ns\": 3000000, \"gpu_busy_ns\": 2500000, \"energy_j\": 2.5, \"usd\": 0.0008, \"bound_ns\": {\"compute\": 1500000, \"memory\": 500000, \"comm\": 0, \"launch\": 0, \"host\": 1000000, \"idle\": 1000000}}}\n"
	" ],\n"
	" \"by_bound\": {\"source\": {\"compute\": 12000000, \"memory\": 4000000, \"comm\": 0, \"launch\": 0, \"host\": 2000000, \"idle\": 2000000},\n"
	"              \"projected\": {\"compute\": 3500000, \"memory\": 1500000, \"comm\": 0, \"launch\": 0, \"host\": 2000000, \"idle\": 2000000}},\n"
	" \"exposed_comm_ns\": {\"source\": 0, \"projected\": 0},\n"
	" \"by_class\": [\n"
	"  {\"class\": \"gemm\", \"count\": 4, \"source_ns\": 12000000, \"projected_ns\": 3500000, \"speedup\": 3.4285714285714284},\n"
	"  {\"class\": \"elementwise\", \"count\": 6, \"source_ns\": 3000000, \"projected_ns\": 1200000, \"speedup\": 2.5},\n"
	"  {\"class\": \"copy\", \"count\": 2, \"source_ns\": 1000000, \"projected_ns\": 300000, \"speedup\": 3.3333333333333335}\n"
	" ],\n"
	" \"critical_path\": {\"length_ns\": 9000000, \"gpu_ops\": 8, \"by_class\": [{\"class\": \"gemm\", \"ns\": 3500000, \"share\": 0.3888888888888889}, {\"class\": \"host+latency\", \"ns\": 5500000, \"share\": 0.6111111111111112}]},\n"
	" \"top_ops\": {\"by_projected_time\": [\n"
	"   {\"name\": \"sgemm_128x64\", \"class\": \"gemm\", \"bound\": \"compute\", \"count\": 4, \"source_ns\": 12000000, \"projected_ns\": 3500000, \"change_ns\": -8500000}],\n"
	"  \"by_change\": [\n"
	"   {\"name\": \"sgemm_128x64\", \"class\": \"gemm\", \"bound\": \"compute\", \"count\": 4, \"source_ns\": 12000000, \"projected_ns\": 3500000, \"change_ns\": -8500000},\n"
	"   {\"name\": \"void add<float, 4>&\\\"x\\\"\", \"class\": \"elementwise\", \"bound\": \"memory\", \"count\": 6, \"source_ns\": 3000000, \"projected_ns\": 1200000, \"change_ns\": -1800000},\n"
	"   {\"name\": \"Memcpy HtoD\", \"class\": \"copy\", \"bound\": \"memory\", \"count\": 2, \"source_ns\": 1000000, \"projected_ns\": 300000, \"change_ns\": -700000}]},\n"
	" \"warnings\": {\"no_cost_model\": {}, \"dtype_missing\": {}, \"unknown_work\": 3, \"unmatched_collectives\": 0, \"forced_collectives\": 0, \"no_gpu_work\": false, \"no_steps\": false, \"unresolved_waits\": 0, \"broken_cycles\": 0},\n"
	" \"provenance\": {\"gpu_op_time\": \"scaled\", \"host_time\": \"as measured\", \"bound\": \"model\", \"energy\": \"model\", \"dollars\": \"model\", \"chips\": {\"source\": \"a100-sxm4-80gb\", \"target\": \"h100-sxm5\"}}\n"
	"}\n";

#endif
