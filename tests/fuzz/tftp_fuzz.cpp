// Fuzz harness for the TFTP wire parser, option negotiation, path checks and the transfer engine.
// Built as a libFuzzer target with clang (RACKBOOT_FUZZ=ON), and otherwise as a replay test that
// runs the seed corpus plus a fixed set of pseudo-random inputs (fuzz_replay.cpp).
//
// Beyond "no crash", it checks the engine's promise to Pis: a DATA block is never sent twice
// unless the retransmit timer fired, and nothing past the last block is ever sent.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>
#include <vector>

#include "proto/netascii.h"
#include "proto/tftp_codec.h"
#include "proto/tftp_options.h"
#include "proto/tftp_path.h"
#include "proto/tftp_transfer.h"

using namespace rackboot::proto;

namespace {

void check(bool ok) {
    if (!ok) std::abort();
}

void drive_engine(const std::uint8_t* data, std::size_t size) {
    if (size < 4) return;
    // Header: file size (3 bytes), window (1 byte); then a script of events, 3 bytes each.
    std::uint64_t file_size = (std::uint64_t{data[0]} << 16) | (std::uint64_t{data[1]} << 8) | data[2];
    TftpOptionList opts;
    char window[4];
    window[0] = static_cast<char>('1' + data[3] % 9);
    window[1] = '\0';
    opts.items[opts.count++] = {"windowsize", std::string_view(window, 1)};
    opts.items[opts.count++] = {"blksize", "8"};
    TftpLimits limits;
    limits.max_retries = 3;
    TftpNegotiated n;
    check(negotiate_tftp_options(opts, TftpMode::Octet, file_size, limits, n).ok);
    TftpTransfer t;
    Nanos now = 0;
    // Which blocks went out: one bitmap for every input (up to 2M blocks of 8 bytes), cleared
    // through the list of blocks this input touched, so an input costs what it sends and not
    // what its file size could be (a fresh 2 MB vector per input made this harness 200x slower
    // than the DHCP one).
    static std::vector<std::uint8_t> sent((std::uint64_t{1} << 24) / kTftpMinBlksize + 2, 0);
    static std::vector<std::uint64_t> touched;
    for (std::uint64_t b : touched) sent[b] = 0;
    touched.clear();
    auto record = [&](const TftpAction& a) {
        if (a.kind != TftpAction::Kind::Data) return;
        check(a.count >= 1 && a.count <= n.windowsize);
        check(a.first_block >= 1 && a.first_block + a.count - 1 <= t.total_blocks());
        for (std::uint64_t b = a.first_block; b < a.first_block + a.count; ++b) {
            if (!a.retransmit) check(sent[b] == 0);  // never a duplicate DATA without a timeout
            if (sent[b] == 0) touched.push_back(b);
            sent[b] = 1;
        }
    };
    record(t.start(n, file_size, limits, now));
    for (std::size_t i = 4; i + 3 <= size && !t.finished(); i += 3) {
        std::uint16_t v = static_cast<std::uint16_t>((data[i + 1] << 8) | data[i + 2]);
        switch (data[i] % 4) {
            case 0: record(t.on_ack(v, now)); break;
            case 1: record(t.on_ack(static_cast<std::uint16_t>(t.acked_blocks() + v % 12), now)); break;
            case 2:
                now += static_cast<Nanos>(v) * kMillisecond;
                record(t.on_timer(now));
                break;
            default:
                if (v % 64 == 0) t.on_error(now);
                break;
        }
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    TftpPacket pkt;
    if (parse_tftp(ConstBytes(data, size), pkt) == TftpParseError::none) {
        if (pkt.opcode == TftpOpcode::Rrq || pkt.opcode == TftpOpcode::Wrq) {
            if (check_tftp_path(pkt.filename) == PathVerdict::ok) {
                BootPrefix p = split_boot_prefix(pkt.filename);
                check(p.rest.size() <= pkt.filename.size());
                // An accepted path has no '..' component, no leading '/', no backslash.
                std::string_view f = pkt.filename;
                check(f.front() != '/' && f.find('\\') == std::string_view::npos);
                for (std::size_t start = 0; start <= f.size();) {
                    std::size_t end = std::min(f.find('/', start), f.size());
                    check(f.substr(start, end - start) != "..");
                    start = end + 1;
                }
            }
            TftpNegotiated n;
            if (negotiate_tftp_options(pkt.options, pkt.mode, size, TftpLimits{}, n).ok) {
                check(n.blksize >= kTftpMinBlksize && n.blksize <= 1468);
                check(n.windowsize >= 1 && n.windowsize <= 64);
                std::uint8_t out[512];
                std::size_t len = build_tftp_oack(out, n);
                TftpPacket back;
                if (len > 0) check(parse_tftp(ConstBytes(out, len), back) == TftpParseError::none);
            }
        }
    }
    // Netascii over the raw bytes, in small blocks: the output never overruns.
    NetasciiCursor cur;
    std::uint8_t block[16];
    while (cur.offset < size || cur.has_pending) {
        std::size_t in = std::min<std::size_t>(sizeof block, size - cur.offset);
        std::size_t n = netascii_encode(ConstBytes(data + cur.offset, in), cur, block);
        check(n <= sizeof block);
        if (n < sizeof block) break;
    }
    drive_engine(data, size);
    return 0;
}
