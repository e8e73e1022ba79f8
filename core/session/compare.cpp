#include "compare.h"

#include "ping_session.h"
#include "split_table.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace le {

std::vector<CompareVariant> make_variants(const PingConfig& base, const std::vector<EngineKind>& engines,
                                          const std::vector<Transport>& transports,
                                          const std::vector<int>& tasks) {
    const std::vector<EngineKind> es = engines.empty() ? std::vector{base.engine} : engines;
    const std::vector<Transport> ts =
        transports.empty() ? std::vector{base.effective_transport()} : transports;
    const std::vector<int> ks = tasks.empty() ? std::vector{base.tasks} : tasks;
    std::vector<CompareVariant> out;
    for (EngineKind e : es)
        for (Transport t : ts)
            for (int k : ks) {
                PingConfig c = base;
                c.engine = e;
                c.transport = t;
                c.tasks = k;
                std::vector<std::string> parts;
                if (es.size() > 1 || (ts.size() == 1 && ks.size() == 1))
                    parts.emplace_back(to_string(e));
                if (ts.size() > 1)
                    parts.emplace_back(to_string(t));
                if (ks.size() > 1)
                    parts.push_back(fmt::format("{} tasks", k));
                out.push_back({fmt::format("{}", fmt::join(parts, "/")), c});
            }
    return out;
}

std::vector<CompareResult> run_compare(const std::vector<CompareVariant>& variants, const CompareOptions& o,
                                       const std::function<void(int, int)>& progress,
                                       const std::atomic<bool>* stop, const SliceCallback& on_slice) {
    if (variants.empty())
        throw std::invalid_argument("nothing to compare");
    if (o.slice < 100 * kNanosPerMilli || o.total_per_variant < o.slice)
        throw std::invalid_argument("each slice must be at least 100 ms and no longer than the duration");
    for (const auto& v : variants)
        validate(v.config);
    const int rounds = static_cast<int>(std::llround(static_cast<double>(o.total_per_variant) / o.slice));
    std::vector<CompareResult> results(variants.size());
    std::vector<IntervalData> data(variants.size());
    std::vector<double> seconds(variants.size(), 0.0);
    const int total = rounds * static_cast<int>(variants.size());
    int done = 0;
    for (int round = 0; round < rounds; ++round) {
        for (std::size_t i = 0; i < variants.size(); ++i) {
            if (stop && stop->load())
                break;
            results[i].name = variants[i].name;
            PingConfig c = variants[i].config;
            c.duration = o.slice;
            c.warmup = o.warmup_per_slice;
            c.interval = o.slice; // one interval per slice: the summary is what counts
            try {
                PingSession session(c);
                session.start();
                IntervalRecord r;
                while (session.next_record(r, 10 * kNanosPerSecond))
                    if (r.kind == IntervalRecord::Kind::Summary)
                        break;
                if (const std::string e = session.error(); !e.empty() && results[i].error.empty())
                    results[i].error = e;
                if (r.kind == IntervalRecord::Kind::Summary && r.rtt_ns) {
                    data[i].rtt.add(*r.rtt_ns);
                    data[i].sent += r.sent;
                    data[i].received += r.received;
                    data[i].lost += r.lost;
                    data[i].errors += r.errors;
                    data[i].bytes += r.bytes;
                    data[i].strays += r.strays;
                    data[i].skipped += r.skipped;
                    seconds[i] += r.duration_s;
                    results[i].summary.tasks = r.tasks;
                    results[i].summary.payload = r.payload;
                    results[i].summary.target_rate = r.target_rate;
                    results[i].summary.cpu_percent += r.cpu_percent * r.duration_s;
                    results[i].summary.split_available = r.split_available;
                    results[i].summary.peer_split_available = r.peer_split_available;
                    if (r.split_ns)
                        results[i].split.add(*r.split_ns);
                    if (on_slice)
                        on_slice(i, r);
                }
            } catch (const std::exception& e) {
                if (results[i].error.empty())
                    results[i].error = e.what();
            }
            if (progress)
                progress(++done, total);
        }
    }
    for (std::size_t i = 0; i < variants.size(); ++i) {
        CompareResult& res = results[i];
        res.name = variants[i].name;
        res.rtt = data[i].rtt;
        IntervalRecord& s = res.summary;
        s.kind = IntervalRecord::Kind::Summary;
        s.duration_s = seconds[i];
        s.sent = data[i].sent;
        s.received = data[i].received;
        s.lost = data[i].lost;
        s.errors = data[i].errors;
        s.bytes = data[i].bytes;
        s.strays = data[i].strays;
        s.skipped = data[i].skipped;
        s.achieved_rate = seconds[i] > 0 ? static_cast<double>(s.sent) / seconds[i] : 0;
        s.cpu_percent = seconds[i] > 0 ? s.cpu_percent / seconds[i] : 0;
        s.set_stats(stats_of(res.rtt));
        if (variants[i].config.kernel_timestamps && seconds[i] == 0)
            s.split_available = "no: nothing was measured";
        if (s.has_split())
            s.split = split_stats_of(res.split);
        if (s.has_peer_split())
            set_peer_side(s.split, res.split.pong);
    }
    return results;
}

namespace {

// The parts of each variant's round trips, when some variant asked for them; a variant without
// the split says why instead of showing numbers.
std::string format_split_table(const std::vector<CompareResult>& results) {
    const auto asked = [](const CompareResult& r) {
        return r.summary.split_available.rfind("no: not asked", 0) != 0;
    };
    if (std::none_of(results.begin(), results.end(), asked))
        return {};
    std::string out = split_table_header(24);
    for (const CompareResult& r : results)
        out += split_table_row(r.name, 24, r.summary.split_available, r.summary.split,
                               r.summary.peer_split_available);
    return out;
}

} // namespace

std::string format_compare_table(const std::vector<CompareResult>& results) {
    std::string out = fmt::format("{:<24} {:>10} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9} {:>6} {:>8} {:>8}\n",
                                  "variant", "msg/s", "received", "p50_us", "p90_us", "p99_us", "p99.9_us",
                                  "max_us", "cpu%", "p50/A", "p99/A");
    const IntervalRecord* a = results.empty() ? nullptr : &results.front().summary;
    const auto ratio = [](double x, double ref) {
        return ref > 0 ? fmt::format("{:.2f}", x / ref) : std::string("-");
    };
    for (const CompareResult& r : results) {
        const IntervalRecord& s = r.summary;
        out += fmt::format(
            "{:<24} {:>10.1f} {:>9} {:>9.2f} {:>9.2f} {:>9.2f} {:>9.2f} {:>9.2f} {:>6.0f} {:>8} {:>8}\n",
            r.name, s.achieved_rate, s.received, s.p50_us, s.p90_us, s.p99_us, s.p999_us, s.max_us,
            s.cpu_percent, ratio(s.p50_us, a->p50_us), ratio(s.p99_us, a->p99_us));
        if (!r.error.empty())
            out += fmt::format("{:<24} error: {}\n", "", r.error);
    }
    return out + format_split_table(results);
}

} // namespace le
