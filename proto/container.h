/* container.h - private to proto/: the on-disk framing shared by writer and reader.
 *
 * file   := magic[8] major:u16le minor:u16le record*
 * record := type:u8 pad:u8[3] zlen:u32le rawlen:u32le check:u32le zstd_frame[zlen]
 * check is the low 32 bits of tc_hash64(zstd_frame) so corruption is caught, and named,
 * before decompression; the frame also carries zstd's own content checksum.
 */
#ifndef TC_PROTO_CONTAINER_H
#define TC_PROTO_CONTAINER_H

#include <stdint.h>

#define TC_FILE_HDR_LEN 12
#define TC_REC_HDR_LEN 16
#define TC_REC_MAX_RAW (1u << 30) /* a record never decompresses beyond 1 GiB */
/* Beyond TC_REC_FREE_RAW, a record may expand at most TC_REC_MAX_RATIO times its frame: a
 * 47 KB file whose strings expanded to 900 MB took 1.85 GB (issue 19). Memory is then bounded
 * by the input, as the frame size already is; writers keep under it (docs/format.md §1). */
#define TC_REC_FREE_RAW (1u << 28) /* 256 MiB */
#define TC_REC_MAX_RATIO 256u

enum tc_rec_type { TC_REC_HEADER = 1, TC_REC_CHUNK = 2, TC_REC_FOOTER = 3 };

static inline void tc_put_u32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)v;
	p[1] = (unsigned char)(v >> 8);
	p[2] = (unsigned char)(v >> 16);
	p[3] = (unsigned char)(v >> 24);
}
static inline uint32_t tc_get_u32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

#endif
