#include "dataplane/cpu_affinity.h"

#include <hwloc.h>

#include <cerrno>
#include <cstring>

namespace rackboot::dataplane {

namespace {

struct Topology {
    hwloc_topology_t topo = nullptr;
    // This machine, or a synthetic one described in hwloc's syntax (tests).
    explicit Topology(const char* synthetic = nullptr) {
        if (hwloc_topology_init(&topo) != 0) {
            topo = nullptr;
            return;
        }
        if ((synthetic != nullptr && hwloc_topology_set_synthetic(topo, synthetic) != 0) ||
            hwloc_topology_load(topo) != 0) {
            hwloc_topology_destroy(topo);
            topo = nullptr;
        }
    }
    ~Topology() {
        if (topo != nullptr) hwloc_topology_destroy(topo);
    }
};

}  // namespace

int core_count() {
    Topology t;
    if (t.topo == nullptr) return 1;
    int n = hwloc_get_nbobjs_by_type(t.topo, HWLOC_OBJ_CORE);
    return n > 0 ? n : 1;
}

std::vector<int> pick_worker_cpus(int count, int numa_node, const char* synthetic_topology) {
    Topology t(synthetic_topology);
    std::vector<int> all, local;
    hwloc_obj_t node = nullptr;
    if (t.topo != nullptr && numa_node >= 0)
        node = hwloc_get_numanode_obj_by_os_index(t.topo, static_cast<unsigned>(numa_node));
    if (t.topo != nullptr) {
        int n = hwloc_get_nbobjs_by_type(t.topo, HWLOC_OBJ_CORE);
        for (int i = 0; i < n; ++i) {
            hwloc_obj_t core = hwloc_get_obj_by_type(t.topo, HWLOC_OBJ_CORE, static_cast<unsigned>(i));
            if (core == nullptr || core->cpuset == nullptr) continue;
            int first = hwloc_bitmap_first(core->cpuset);  // first hardware thread of the core
            if (first < 0) continue;
            all.push_back(first);
            if (node != nullptr && hwloc_bitmap_intersects(core->cpuset, node->cpuset) != 0) local.push_back(first);
        }
    }
    // The port's NUMA node's cores when it has any (its memory and its NIC are there), else all.
    std::vector<int>& cores = local.empty() ? all : local;
    if (cores.empty()) cores.push_back(0);
    std::vector<int> out;
    out.reserve(static_cast<std::size_t>(count));
    // Leave the machine's first core to the control thread when there are cores to spare.
    std::size_t skip =
        (cores.front() == all.front() && cores.size() > 1 && static_cast<std::size_t>(count) < cores.size()) ? 1 : 0;
    for (int i = 0; i < count; ++i) {
        out.push_back(cores[(skip + static_cast<std::size_t>(i)) % cores.size()]);
    }
    return out;
}

bool cpu_exists(int cpu) {
    Topology t;
    return t.topo != nullptr && cpu >= 0 && hwloc_get_pu_obj_by_os_index(t.topo, static_cast<unsigned>(cpu)) != nullptr;
}

proto::Result<> pin_current_thread(int cpu) {
    Topology t;
    if (t.topo == nullptr) {
        return proto::failure("hwloc could not load the topology");
    }
    hwloc_bitmap_t set = hwloc_bitmap_alloc();
    hwloc_bitmap_only(set, static_cast<unsigned>(cpu));
    int rc = hwloc_set_cpubind(t.topo, set, HWLOC_CPUBIND_THREAD);
    hwloc_bitmap_free(set);
    if (rc != 0) {
        return proto::failure("hwloc_set_cpubind(" + std::to_string(cpu) + "): " + std::strerror(errno));
    }
    return {};
}

}  // namespace rackboot::dataplane
