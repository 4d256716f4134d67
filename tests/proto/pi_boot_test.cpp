// The fake Pi's whole boot (issue 11): each model's TFTP sequence, step by step, against the
// table in PI-BOOT.md, served by a minimal lock-step TFTP server written here (not rackbootd's,
// which the integration tests put the swarm against), with DHCP from the proto full server. Then
// the firmware's timeouts and each firmware bug the swarm can switch on.
#include "proto/pi_boot.h"

#include <deque>
#include <map>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "proto/dhcp_responder.h"
#include "proto/dhcp_server.h"
#include "proto/pi_config_txt.h"
#include "support/pi_dhcp_server.h"

namespace rackboot::proto {
namespace {

constexpr std::uint32_t kServer = 0x0a000001;

struct Delivery {
    enum Kind { Dhcp, Arp, Tftp } kind;
    std::uint16_t local_port = 0;
    std::uint16_t server_port = 0;
    std::vector<std::uint8_t> bytes;
};

// A lock-step TFTP server over a map of files, the proto DHCP server, and an ARP that answers.
class World : public PiBootSink {
public:
    std::map<std::string, std::string> files;
    std::vector<std::string> log;  // what the Pi sent, one line each
    std::deque<Delivery> queue;
    std::map<std::string, std::string> received;
    bool dhcp_answers = true;
    bool proxy = false;  // answer DHCP as a proxy (PXE menu, no address) instead of the full server
    bool tftp_answers = true;
    std::uint16_t duplicate_block = 0;  // send this DATA block twice (the network duplicated it)
    std::vector<std::size_t> ack_sizes;

    World() : dhcp_(test::small_dhcp_server(kServer)) {}

    void send_dhcp(ConstBytes payload) override {
        DhcpPacket p;
        ASSERT_EQ(parse_dhcp(payload, p), DhcpParseError::none);
        log.push_back(p.type == DhcpMessageType::Discover ? "DISCOVER" : "REQUEST");
        if (!dhcp_answers) return;
        std::vector<std::uint8_t> out(1500);
        if (proxy) {
            DhcpResponderConfig pc;
            pc.server_ip = proto::Ipv4(kServer);
            out.resize(DhcpResponder(pc).handle(p, kServer, out).length);
        } else {
            out.resize(dhcp_->handle(p, kServer, 1'800'000'000 + now_s++, out).reply.length);
        }
        if (!out.empty()) queue.push_back({Delivery::Dhcp, 0, 0, std::move(out)});
    }
    void send_arp_request(Ipv4 target) override {
        log.push_back("ARP " + target.to_string());
        if (target.value() == kServer) queue.push_back({Delivery::Arp, 0, 0, {}});
    }
    void send_tftp(std::uint16_t local_port, std::uint16_t server_port, ConstBytes payload) override {
        TftpPacket p;
        ASSERT_EQ(parse_tftp(payload, p), TftpParseError::none);
        if (p.opcode == TftpOpcode::Rrq) {
            std::string line = "RRQ " + std::string(p.filename);
            for (std::size_t i = 0; i < p.options.count; ++i) {
                line += ' ';
                line += p.options.items[i].name;
                line += '=';
                line += p.options.items[i].value;
            }
            log.push_back(line);
            if (tftp_answers) answer_rrq(local_port, p);
            return;
        }
        if (p.opcode == TftpOpcode::Error) {
            log.push_back("ABORT " + std::string(p.error_message));
            xfers_.erase(local_port);
            return;
        }
        if (p.opcode != TftpOpcode::Ack) return;
        ack_sizes.push_back(payload.size());
        auto it = xfers_.find(local_port);
        if (it == xfers_.end() || server_port != it->second.port) return;
        if (p.block == it->second.next) send_block(local_port, it->second);
    }
    void file_data(std::string_view path, std::uint64_t offset, ConstBytes bytes) override {
        std::string& f = received[std::string(path)];
        if (offset == 0) f.clear();  // read again (config.txt, a restart)
        EXPECT_EQ(offset, f.size());
        f.append(reinterpret_cast<const char*>(bytes.data()), bytes.size());
    }
    bool file_done(const PiFileResult& r) override {
        std::string path(r.path);
        return received[path] == files[path];
    }
    void file_other(const PiFileResult&) override {}

    // Runs `pi` until it booted or failed, or `limit` of virtual time passed.
    void run(PiBoot& pi, Nanos limit = 600 * kSecond) {
        Nanos now = 1 * kSecond;
        pi.power_on(now, *this);
        while (pi.phase() != PiPhase::Booted && pi.phase() != PiPhase::Failed && now < limit) {
            if (!queue.empty()) {
                Delivery d = std::move(queue.front());
                queue.pop_front();
                now += 100 * kMicrosecond;
                if (d.kind == Delivery::Dhcp) pi.on_dhcp(d.bytes, now, *this);
                if (d.kind == Delivery::Arp) pi.on_arp_reply(Ipv4(kServer), Mac{2, 0, 0, 0, 0, 1}, now, *this);
                if (d.kind == Delivery::Tftp) pi.on_tftp(d.local_port, d.server_port, d.bytes, now, *this);
                continue;
            }
            Nanos t = pi.next_deadline();
            ASSERT_NE(t, 0) << "a Pi in " << to_string(pi.phase()) << " waits for nothing";
            now = std::max(now, t);
            pi.on_timer(now, *this);
        }
        end = now;
    }

    // The RRQ lines only, without their options.
    std::vector<std::string> rrqs() const {
        std::vector<std::string> out;
        for (const std::string& l : log) {
            if (l.rfind("RRQ ", 0) == 0) out.push_back(l.substr(4, l.find(' ', 4) - 4));
        }
        return out;
    }

    Nanos end = 0;

private:
    struct Xfer {
        std::string data;
        std::uint16_t blksize = 512;
        std::uint16_t next = 0;  // the block whose ACK moves us on
        std::uint16_t port = 0;
    };

    void answer_rrq(std::uint16_t client, const TftpPacket& p) {
        std::uint16_t port = next_port_++;
        auto f = files.find(std::string(p.filename));
        if (f == files.end()) {
            std::vector<std::uint8_t> out(64);
            out.resize(build_tftp_error(out, TftpErrorCode::FileNotFound, "File not found"));
            queue.push_back({Delivery::Tftp, client, port, std::move(out)});
            return;
        }
        Xfer x;
        x.data = f->second;
        x.port = port;
        if (p.options.count == 0) {
            x.next = 0;
            send_block(client, xfers_[client] = x);
            return;
        }
        TftpOptionList o;
        std::string size = std::to_string(x.data.size());
        o.items[o.count++] = {"tsize", size};
        std::string bs;
        if (const TftpOption* b = p.options.find("blksize")) {
            bs = std::string(b->value);
            x.blksize = static_cast<std::uint16_t>(std::stoi(bs));
            o.items[o.count++] = {"blksize", bs};
        }
        std::vector<std::uint8_t> out(512);
        out.resize(build_tftp_oack(out, o));
        xfers_[client] = x;
        queue.push_back({Delivery::Tftp, client, port, std::move(out)});
    }

    void send_block(std::uint16_t client, Xfer& x) {
        std::size_t off = std::size_t{x.next} * x.blksize;
        if (off > x.data.size()) {
            xfers_.erase(client);
            return;
        }
        auto block = static_cast<std::uint16_t>(x.next + 1);
        std::size_t n = std::min<std::size_t>(x.blksize, x.data.size() - off);
        std::vector<std::uint8_t> out(4 + n);
        (void)build_tftp_data_header(out, block);
        std::copy(x.data.begin() + static_cast<long>(off), x.data.begin() + static_cast<long>(off + n),
                  out.begin() + 4);
        queue.push_back({Delivery::Tftp, client, x.port, out});
        if (block == duplicate_block) queue.push_back({Delivery::Tftp, client, x.port, out});
        x.next = block;
    }

    std::unique_ptr<DhcpServer> dhcp_;
    std::map<std::uint16_t, Xfer> xfers_;
    std::uint16_t next_port_ = 30000;
    std::int64_t now_s = 0;
};

std::string blob(std::size_t n, char seed) {
    std::string s(n, '\0');
    for (std::size_t i = 0; i < n; ++i) s[i] = static_cast<char>(seed + i * 7 + (i >> 9));
    return s;
}

void add_tree(World& w, const std::string& prefix) {
    w.files[prefix + "bootcode.bin"] = blob(51'000, 'b');
    w.files[prefix + "config.txt"] =
        "# a tree as Raspberry Pi OS ships it\n[pi4]\ndtoverlay=vc4-kms-v3d\n[pi5]\ndtoverlay=vc4-kms-v3d-pi5\n"
        "[all]\narm_64bit=1\ninitramfs initramfs8 followkernel\n";
    w.files[prefix + "start.elf"] = blob(2900, 's');
    w.files[prefix + "fixup.dat"] = blob(700, 'f');
    w.files[prefix + "start4.elf"] = blob(23'000, '4');
    w.files[prefix + "fixup4.dat"] = blob(5'400, 'x');
    w.files[prefix + "cmdline.txt"] = "console=serial0,115200 ip=dhcp nbdroot=10.0.0.1/pi root=/dev/nbd0p2\n";
    w.files[prefix + "kernel8.img"] = blob(96'000, 'k');
    w.files[prefix + "kernel_2712.img"] = blob(99'000, 'K');
    w.files[prefix + "initramfs8"] = blob(40'000, 'i');
    w.files[prefix + "bcm2710-rpi-3-b.dtb"] = blob(3000, '3');
    w.files[prefix + "bcm2711-rpi-4-b.dtb"] = blob(3000, 'd');
    w.files[prefix + "bcm2712-rpi-5-b.dtb"] = blob(3000, '5');
    w.files[prefix + "overlays/vc4-kms-v3d.dtbo"] = blob(1000, 'o');
    w.files[prefix + "overlays/vc4-kms-v3d-pi5.dtbo"] = blob(1000, 'p');
}

PiBootConfig config(PiModel m) {
    PiBootConfig c;
    c.pi.model = m;
    c.pi.mac = {0xdc, 0xa6, 0x32, 0x00, 0x00, static_cast<std::uint8_t>(m)};
    c.pi.serial = proto::Serial(0x1a2b3c4d);
    c.seed = 42;
    return c;
}

TEST(PiConfigTxt, TheFirmwareReadsTheFilesItLoadsNext) {
    PiBootFiles f = read_pi_config_txt(
        "kernel=zImage # ours\n[pi4]\ndtoverlay=a,x=1\ndtoverlay=b\ndtoverlay=a\n[pi5]\ndtoverlay=c\n[all]\n"
        "initramfs initrd.img followkernel\nos_prefix=v2/\ndevice_tree=my.dtb\nbroken line\n",
        PiModel::pi4);
    EXPECT_EQ(f.kernel, "zImage");
    EXPECT_EQ(f.initramfs, "initrd.img");
    EXPECT_EQ(f.os_prefix, "v2/");
    EXPECT_EQ(f.device_tree, "my.dtb");
    EXPECT_EQ(f.overlays, (std::vector<std::string>{"a", "b"}));
    PiBootFiles d = read_pi_config_txt("", PiModel::pi3);
    EXPECT_EQ(d.kernel, "kernel7.img");
    EXPECT_EQ(read_pi_config_txt("arm_64bit=1\n", PiModel::pi3).kernel, "kernel8.img");
    EXPECT_EQ(read_pi_config_txt("", PiModel::pi5).kernel, "kernel_2712.img");
    EXPECT_EQ(read_pi_config_txt("", PiModel::pi5).device_tree, "bcm2712-rpi-5-b.dtb");
}

TEST(PiBoot, APi4ReadsItsFilesInTheEepromsOrder) {
    World w;
    add_tree(w, "");
    PiBoot pi(config(PiModel::pi4));
    w.run(pi);
    ASSERT_EQ(pi.phase(), PiPhase::Booted) << reason_info(pi.failure()).name << " " << pi.failed_file();
    std::vector<std::string> want = {"1a2b3c4d/start4.elf",
                                     "config.txt",
                                     "recover4.elf",
                                     "recovery.elf",
                                     "start4.elf",
                                     "start4.elf",
                                     "fixup4.dat",
                                     "fixup4.dat",
                                     "config.txt",
                                     "config.txt",
                                     "config.txt",
                                     "initramfs8",
                                     "initramfs8",
                                     "bcm2711-rpi-4-b.dtb",
                                     "bcm2711-rpi-4-b.dtb",
                                     "overlays/vc4-kms-v3d.dtbo",
                                     "overlays/vc4-kms-v3d.dtbo",
                                     "cmdline.txt",
                                     "cmdline.txt",
                                     "kernel8.img",
                                     "kernel8.img"};
    EXPECT_EQ(w.rrqs(), want);
    EXPECT_EQ(w.log[0], "DISCOVER");
    EXPECT_EQ(w.log[1], "REQUEST");
    EXPECT_EQ(w.log[2], "ARP 10.0.0.1");
    EXPECT_EQ(w.log[3], "RRQ 1a2b3c4d/start4.elf tsize=0 blksize=1024");
    EXPECT_FALSE(pi.used_prefix());
    EXPECT_EQ(w.received["kernel8.img"], w.files["kernel8.img"]);
    EXPECT_EQ(w.received["initramfs8"], w.files["initramfs8"]);
    // Each probe read the OACK and aborted: recover4.elf and recovery.elf are missing, not probed.
    EXPECT_EQ(std::count(w.log.begin(), w.log.end(), "ABORT Early terminate"), 7);
    EXPECT_GT(pi.ended_at(), pi.arp_done_at());
    EXPECT_GT(pi.arp_done_at(), pi.dhcp_done_at());
}

TEST(PiBoot, ThePrefixIsKeptOnlyWhenTheSerialsDirectoryHoldsTheProbedFile) {
    World w;
    add_tree(w, "1a2b3c4d/");
    PiBoot pi(config(PiModel::pi4));
    w.run(pi);
    ASSERT_EQ(pi.phase(), PiPhase::Booted) << reason_info(pi.failure()).name << " " << pi.failed_file();
    EXPECT_TRUE(pi.used_prefix());
    for (const std::string& r : w.rrqs()) EXPECT_EQ(r.rfind("1a2b3c4d/", 0), 0u) << r;

    World five;  // Pi 5: SERIAL/config.txt decides
    add_tree(five, "");
    five.files["1a2b3c4d/config.txt"] = "kernel=kernel8.img\n";
    five.files["1a2b3c4d/kernel8.img"] = blob(5000, 'q');
    five.files["1a2b3c4d/cmdline.txt"] = "x\n";
    PiBoot p5(config(PiModel::pi5));
    five.run(p5);
    ASSERT_EQ(p5.phase(), PiPhase::Booted) << reason_info(p5.failure()).name << " " << p5.failed_file();
    std::vector<std::string> want = {"1a2b3c4d/config.txt",         "1a2b3c4d/config.txt",  "1a2b3c4d/pieeprom.sig",
                                     "1a2b3c4d/cmdline.txt",        "1a2b3c4d/kernel8.img", "1a2b3c4d/kernel8.img",
                                     "1a2b3c4d/bcm2712-rpi-5-b.dtb"};
    EXPECT_EQ(five.rrqs(), want);
}

TEST(PiBoot, APi5ReadsAt1468AndFallsBackToKernel8) {
    World w;
    add_tree(w, "");
    w.files.erase("kernel_2712.img");
    PiBoot pi(config(PiModel::pi5));
    w.run(pi);
    ASSERT_EQ(pi.phase(), PiPhase::Booted) << reason_info(pi.failure()).name << " " << pi.failed_file();
    std::vector<std::string> want = {"1a2b3c4d/config.txt", "config.txt",          "pieeprom.sig",
                                     "cmdline.txt",         "kernel_2712.img",     "kernel8.img",
                                     "kernel8.img",         "bcm2712-rpi-5-b.dtb", "overlays/vc4-kms-v3d-pi5.dtbo",
                                     "initramfs8"};
    EXPECT_EQ(w.rrqs(), want);
    EXPECT_EQ(w.log[3], "RRQ 1a2b3c4d/config.txt tsize=0 blksize=1468");
}

TEST(PiBoot, APi3RomUsesTheOfferAndReadsBootcodeWithNoOptions) {
    World w;
    add_tree(w, "");
    PiBoot pi(config(PiModel::pi3));
    w.run(pi);
    ASSERT_EQ(pi.phase(), PiPhase::Booted) << reason_info(pi.failure()).name << " " << pi.failed_file();
    EXPECT_EQ(std::count(w.log.begin(), w.log.end(), "REQUEST"), 0);
    EXPECT_EQ(w.log[1], "ARP 10.0.0.1");
    EXPECT_EQ(w.log[2], "RRQ bootcode.bin");  // no options: 512-byte blocks
    EXPECT_EQ(w.log[3], "RRQ bootsig.bin tsize=0");
    std::vector<std::string> want = {"bootcode.bin", "bootsig.bin",        "1a2b3c4d/start.elf", "autoboot.txt",
                                     "config.txt",   "recovery.elf",       "start.elf",          "fixup.dat",
                                     "config.txt",   "dt-blob.bin",        "cmdline.txt",        "kernel8.img",
                                     "initramfs8",   "bcm2710-rpi-3-b.dtb"};
    EXPECT_EQ(w.rrqs(), want);
    EXPECT_EQ(w.received["bootcode.bin"], w.files["bootcode.bin"]);
}

TEST(PiBoot, AMissingKernelOrWrongBytesFailTheBootNamingTheFile) {
    World w;
    add_tree(w, "");
    w.files.erase("cmdline.txt");
    PiBoot pi(config(PiModel::pi4));
    w.run(pi);
    EXPECT_EQ(pi.phase(), PiPhase::Failed);
    EXPECT_EQ(pi.failure(), PiFailure::file_missing);
    EXPECT_EQ(pi.failed_file(), "cmdline.txt");

    class Liar : public World {
        bool file_done(const PiFileResult& r) override { return r.path != "start4.elf"; }
    } liar;
    add_tree(liar, "");
    PiBoot p2(config(PiModel::pi4));
    liar.run(p2);
    EXPECT_EQ(p2.failure(), PiFailure::wrong_bytes);
    EXPECT_EQ(p2.failed_file(), "start4.elf");
}

TEST(PiBoot, DhcpTimesOutAsEachFirmwareDoes) {
    World w;
    w.dhcp_answers = false;
    PiBoot pi3(config(PiModel::pi3));
    w.run(pi3);
    EXPECT_EQ(pi3.failure(), PiFailure::dhcp_timeout);
    EXPECT_EQ(std::count(w.log.begin(), w.log.end(), "DISCOVER"), 5);  // five tries 5 s apart
    EXPECT_EQ(w.end - pi3.powered_at(), 25 * kSecond);

    World w4;
    w4.dhcp_answers = false;
    PiBoot pi4(config(PiModel::pi4));
    w4.run(pi4);
    EXPECT_EQ(pi4.failure(), PiFailure::dhcp_timeout);
    EXPECT_GE(w4.end - pi4.powered_at(), 45 * kSecond);  // DHCP_TIMEOUT
    EXPECT_LT(w4.end - pi4.powered_at(), 50 * kSecond);
}

// The swarm's DHCP mode: a boot ends at the full server's ACK (a whole DORA) or, for a Pi that
// holds its address already, at the proxy's OFFER with the PXE menu; it never reaches TFTP.
TEST(PiBoot, DhcpModeEndsAtTheLeaseOrAtTheProxyOffer) {
    World w;
    PiBootConfig c = config(PiModel::pi4);
    c.dhcp_only = true;
    PiBoot dora(c);
    w.run(dora);
    EXPECT_EQ(dora.phase(), PiPhase::Booted);
    EXPECT_EQ(w.log, (std::vector<std::string>{"DISCOVER", "REQUEST"}));
    EXPECT_GE(dora.address().value(), 0x0a000064U);  // from the server's pool
    EXPECT_LE(dora.address().value(), 0x0a0000c7U);

    World p;
    p.proxy = true;
    PiBoot no_address(c);  // a proxy gives no address: a DHCP-only Pi without one never completes
    p.run(no_address);
    EXPECT_EQ(no_address.failure(), PiFailure::dhcp_timeout);

    World q;
    q.proxy = true;
    c.static_ip = Ipv4(0x0a000042);
    PiBoot offer(c);
    q.run(offer);
    EXPECT_EQ(offer.phase(), PiPhase::Booted);
    EXPECT_EQ(q.log, (std::vector<std::string>{"DISCOVER"}));  // the OFFER is the answer: no REQUEST
    EXPECT_EQ(offer.address(), Ipv4(0x0a000042));
}

TEST(PiBoot, AFileTimeoutEndsAPi5ButAPi4StartsOver) {
    for (PiModel m : {PiModel::pi4, PiModel::pi5}) {
        World w;
        add_tree(w, "");
        w.tftp_answers = false;
        PiBootConfig c = config(m);
        c.max_attempts = 2;
        PiBoot pi(c);
        w.run(pi);
        EXPECT_EQ(pi.failure(), PiFailure::file_timeout);
        EXPECT_EQ(pi.attempts(), m == PiModel::pi5 ? 1 : 2) << to_string(m);  // rpi-eeprom#687
        EXPECT_EQ(pi.ended_at() - pi.arp_done_at(), 30 * kSecond);            // TFTP_FILE_TIMEOUT from the first RRQ
    }
}

TEST(PiBoot, FaultsAsTheFirmwareHasThem) {
    {  // no REQUEST from a Pi 4
        World w;
        add_tree(w, "");
        PiBootConfig c = config(PiModel::pi4);
        c.faults.no_request = 1;
        PiBoot pi(c);
        w.run(pi);
        EXPECT_EQ(pi.phase(), PiPhase::Booted);
        EXPECT_EQ(std::count(w.log.begin(), w.log.end(), "REQUEST"), 0);
    }
    {  // the RRQ race: every fetched file asked for 2-3 times from new ports
        World w;
        add_tree(w, "");
        PiBootConfig c = config(PiModel::pi5);
        c.faults.rrq_race = 1;
        PiBoot pi(c);
        w.run(pi);
        ASSERT_EQ(pi.phase(), PiPhase::Booted) << reason_info(pi.failure()).name << " " << pi.failed_file();
        EXPECT_GE(pi.races(), 5u);
        EXPECT_EQ(w.rrqs().size(), 9u + pi.races());  // 9 without the race
        std::vector<std::string> r = w.rrqs();
        EXPECT_EQ(r[1], "config.txt");
        EXPECT_EQ(r[2], "config.txt");  // asked again from a new port 5-9 ms after ACK 0
        EXPECT_EQ(w.received["kernel_2712.img"].size(), w.files["kernel_2712.img"].size());
    }
    {  // zero-padded ACKs
        World w;
        add_tree(w, "");
        PiBootConfig c = config(PiModel::pi5);
        c.faults.zero_pad_ack = 1;
        PiBoot pi(c);
        w.run(pi);
        ASSERT_EQ(pi.phase(), PiPhase::Booted);
        ASSERT_FALSE(w.ack_sizes.empty());
        for (std::size_t n : w.ack_sizes) EXPECT_EQ(n, 18u);
    }
    {  // the duplicated-DATA trap: DATA 3 twice, the Pi ACKs 4 and hangs until the file times out
        World w;
        add_tree(w, "");
        w.duplicate_block = 3;
        PiBootConfig c = config(PiModel::pi4);
        c.faults.dup_trap = 1;
        PiBoot pi(c);
        w.run(pi);
        EXPECT_EQ(pi.failure(), PiFailure::file_timeout);
        EXPECT_EQ(pi.failed_file(), "start4.elf");  // the first file of three blocks or more
        EXPECT_TRUE(pi.dup_trap_armed());
    }
    {  // without the trap a duplicate is acknowledged again and the boot goes on
        World w;
        add_tree(w, "");
        w.duplicate_block = 3;
        PiBoot pi(config(PiModel::pi4));
        w.run(pi);
        EXPECT_EQ(pi.phase(), PiPhase::Booted);
    }
}

}  // namespace
}  // namespace rackboot::proto
