#include "dataplane/dpdk/qsbr_domain.h"

#include <rte_rcu_qsbr.h>

#include <cstdlib>

namespace rackboot::dataplane {

namespace {

class QsbrDomain final : public QuiescentDomain {
public:
    QsbrDomain() = default;
    [[nodiscard]] bool init(unsigned readers) {
        std::size_t size = rte_rcu_qsbr_get_memsize(readers);
        std::size_t rounded = (size + RTE_CACHE_LINE_SIZE - 1) / RTE_CACHE_LINE_SIZE * RTE_CACHE_LINE_SIZE;
        v_ = static_cast<rte_rcu_qsbr*>(std::aligned_alloc(RTE_CACHE_LINE_SIZE, rounded));
        if (v_ == nullptr || rte_rcu_qsbr_init(v_, readers) != 0) return false;
        // Every worker is a reader from the start: a map replaced before a worker's first loop
        // waits for that loop.
        for (unsigned i = 0; i < readers; ++i) {
            rte_rcu_qsbr_thread_register(v_, i);
            rte_rcu_qsbr_thread_online(v_, i);
        }
        return true;
    }
    ~QsbrDomain() override { std::free(v_); }
    QsbrDomain(const QsbrDomain&) = delete;
    QsbrDomain& operator=(const QsbrDomain&) = delete;

    void quiescent(unsigned reader) noexcept override { rte_rcu_qsbr_quiescent(v_, reader); }
    [[nodiscard]] std::uint64_t start() noexcept override { return rte_rcu_qsbr_start(v_); }
    [[nodiscard]] bool check(std::uint64_t token) noexcept override {
        return rte_rcu_qsbr_check(v_, token, false) == 1;
    }
    void offline(unsigned reader) noexcept override { rte_rcu_qsbr_thread_offline(v_, reader); }
    void online(unsigned reader) noexcept override { rte_rcu_qsbr_thread_online(v_, reader); }

private:
    rte_rcu_qsbr* v_ = nullptr;
};

}  // namespace

std::unique_ptr<QuiescentDomain> make_qsbr_domain(unsigned readers) {
    auto d = std::make_unique<QsbrDomain>();
    if (!d->init(readers)) return nullptr;
    return d;
}

}  // namespace rackboot::dataplane
