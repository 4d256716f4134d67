// Netascii encoding (RFC 764 as used by RFC 1350): LF becomes CR LF, CR becomes CR NUL. The
// encoded stream is produced a block at a time from a cursor into the file, so a transfer never
// needs the whole converted file: only where its current block starts.
#pragma once

#include <cstddef>
#include <cstdint>

#include "proto/byte_cursor.h"

namespace rackboot::proto {

struct NetasciiCursor {
    std::uint64_t offset = 0;  // next input byte to encode
    std::uint8_t pending = 0;  // second byte of an expansion split across blocks
    bool has_pending = false;
};

// Encodes input bytes (which start at cursor.offset in the file; `at_eof` when they reach the end
// of the file) into `out` until it is full or the input runs out, advancing the cursor. Returns
// the number of bytes written. `input` must hold at least out.size() bytes unless it ends at EOF.
[[nodiscard]] std::size_t netascii_encode(ConstBytes input, NetasciiCursor& cursor, MutableBytes out) noexcept;

}  // namespace rackboot::proto
