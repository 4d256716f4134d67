// Without libFuzzer: runs every file given (the seed corpus) and a fixed stream of pseudo-random
// and mutated inputs through the fuzz target, so `make test` exercises it on every build.
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <random>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

int main(int argc, char** argv) {
    std::vector<std::vector<std::uint8_t>> seeds;
    for (int i = 1; i < argc; ++i) {
        std::ifstream in(argv[i], std::ios::binary);
        seeds.emplace_back(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
        LLVMFuzzerTestOneInput(seeds.back().data(), seeds.back().size());
    }
    std::mt19937_64 rng(20261122);
    constexpr int kRounds = 60'000;
    for (int round = 0; round < kRounds; ++round) {
        std::vector<std::uint8_t> buf;
        if (!seeds.empty() && round % 2 == 0) {
            buf = seeds[rng() % seeds.size()];
            for (int m = 0, n = static_cast<int>(rng() % 8) + 1; m < n && !buf.empty(); ++m) {
                switch (rng() % 3) {
                    case 0: buf[rng() % buf.size()] = static_cast<std::uint8_t>(rng()); break;
                    case 1: buf.resize(rng() % (buf.size() + 1)); break;
                    default: buf.push_back(static_cast<std::uint8_t>(rng())); break;
                }
            }
        } else {
            buf.resize(rng() % 600);
            for (auto& b : buf) b = static_cast<std::uint8_t>(rng() % 4 == 0 ? 0 : rng());
        }
        LLVMFuzzerTestOneInput(buf.data(), buf.size());
    }
    std::printf("fuzz replay: %zu seeds, %d generated inputs, no failure\n", seeds.size(), kRounds);
    return 0;
}
