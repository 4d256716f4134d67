// Fuzz harness for the fake Pi's client machines (issue 11's swarm): PiBoot through DHCP, ARP and
// TFTP, fed arbitrary answers interleaved with correct ones from a tiny server in the harness, and
// config.txt read from arbitrary text. Beyond "no crash": every datagram the Pi sends parses as
// the TFTP or DHCP it means to be, file bytes arrive in order, and a Pi that says it booted
// received a kernel and a cmdline.txt.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "proto/dhcp_codec.h"
#include "proto/pi_boot.h"
#include "proto/pi_config_txt.h"
#include "proto/tftp_codec.h"

using namespace rackboot::proto;

namespace {

void check(bool ok) {
    if (!ok) std::abort();
}

class Sink : public PiBootSink {
public:
    std::vector<std::uint8_t> last;  // the Pi's last TFTP datagram
    std::uint16_t port = 0;
    std::uint64_t expected_offset = 0;
    bool kernel = false, cmdline = false;

    void send_dhcp(ConstBytes payload) override {
        DhcpPacket p;
        check(parse_dhcp(payload, p) == DhcpParseError::none && p.op == 1);
    }
    void send_arp_request(Ipv4) override {}
    void send_tftp(std::uint16_t local_port, std::uint16_t, ConstBytes payload) override {
        TftpPacket p;
        check(parse_tftp(payload, p) == TftpParseError::none);
        check(p.opcode == TftpOpcode::Rrq || p.opcode == TftpOpcode::Ack || p.opcode == TftpOpcode::Error);
        last.assign(payload.begin(), payload.end());
        port = local_port;
    }
    void file_data(std::string_view, std::uint64_t offset, ConstBytes bytes) override {
        if (offset == 0) expected_offset = 0;
        check(offset == expected_offset);
        expected_offset += bytes.size();
    }
    bool file_done(const PiFileResult& r) override {
        if (r.role == PiFileRole::Kernel) kernel = true;
        if (r.role == PiFileRole::Cmdline) cmdline = true;
        return true;
    }
    void file_other(const PiFileResult&) override {}
};

// The harness's own server: answers the Pi's last datagram correctly (OACK for an RRQ with
// options, the next DATA of a file `size` bytes long for an ACK).
std::vector<std::uint8_t> correct_answer(const Sink& s, std::size_t size, std::uint16_t blksize) {
    std::vector<std::uint8_t> out(1600);
    TftpPacket p;
    if (s.last.empty() || parse_tftp(s.last, p) != TftpParseError::none) return {};
    if (p.opcode == TftpOpcode::Rrq && p.options.count > 0) {
        std::string n = std::to_string(size);
        TftpOptionList o;
        o.items[o.count++] = {"tsize", n};
        out.resize(build_tftp_oack(out, o));
        return out;
    }
    std::uint16_t block = p.opcode == TftpOpcode::Rrq ? 1 : static_cast<std::uint16_t>(p.block + 1);
    std::size_t off = std::size_t{static_cast<std::uint16_t>(block - 1)} * blksize;
    std::size_t n = off >= size ? 0 : std::min<std::size_t>(blksize, size - off);
    (void)build_tftp_data_header(out, block);
    for (std::size_t i = 0; i < n; ++i) out[4 + i] = static_cast<std::uint8_t>(off + i);
    out.resize(4 + n);
    return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 2) return 0;
    (void)read_pi_config_txt(std::string_view(reinterpret_cast<const char*>(data), size), PiModel::pi4);
    PiBootConfig c;
    c.pi.model = static_cast<PiModel>(data[0] % 3);
    c.pi.mac = {0xdc, 0xa6, 0x32, 1, 2, 3};
    c.pi.serial = rackboot::proto::Serial(0x1a2b3c4d);
    c.static_ip = Ipv4(0x0a000064);
    c.server_override = Ipv4(0x0a000001);
    c.faults.rrq_race = (data[0] & 0x10) != 0 ? 0.5 : 0;
    c.faults.dup_trap = (data[0] & 0x20) != 0 ? 1 : 0;
    c.faults.zero_pad_ack = (data[0] & 0x40) != 0 ? 1 : 0;
    c.max_attempts = 1 + (data[0] >> 7);
    c.seed = data[1];
    PiBoot pi(c);
    Sink sink;
    Nanos now = kSecond;
    pi.power_on(now, sink);
    pi.on_arp_reply(Ipv4(0x0a000001), Mac{2, 0, 0, 0, 0, 1}, now, sink);
    std::uint16_t blksize = c.pi.model == PiModel::pi3 ? 512 : c.pi.model == PiModel::pi4 ? 1024 : 1468;
    std::size_t i = 2;
    while (i + 2 <= size) {
        std::uint8_t kind = data[i] % 6;
        std::size_t len = std::min<std::size_t>(data[i + 1], size - i - 2);
        ConstBytes chunk(data + i + 2, len);
        i += 2 + len;
        now += kMillisecond;
        switch (kind) {
            case 0: pi.on_dhcp(chunk, now, sink); break;
            case 1: pi.on_tftp(sink.port, 40000, chunk, now, sink); break;
            case 2:
                now += static_cast<Nanos>(len) * 100 * kMillisecond;
                pi.on_timer(now, sink);
                break;
            case 3: pi.on_arp_reply(Ipv4(0x0a000001), Mac{2, 0, 0, 0, 0, 1}, now, sink); break;
            case 4: pi.on_tftp(static_cast<std::uint16_t>(sink.port - 1), 40000, chunk, now, sink); break;
            default:
                // Several correct answers in a row, from a file of (len * 97) bytes.
                for (int k = 0; k < 8; ++k) {
                    std::vector<std::uint8_t> a = correct_answer(sink, len * 97, blksize);
                    if (a.empty()) break;
                    pi.on_tftp(sink.port, 40000, a, now, sink);
                }
                break;
        }
        if (pi.next_deadline() != 0) check(pi.next_deadline() >= now - 60 * kSecond);
    }
    if (pi.phase() == PiPhase::Booted) check(sink.kernel && sink.cmdline);
    return 0;
}
