#pragma once

// What the saved-run suites share: seeded samples and histograms, synthetic runs whose values
// have no short decimal form, exact comparisons that name the first difference, and file helpers.
#include "histogram_json.h"
#include "ping_session.h"
#include "session_file.h"

#include <nlohmann/json.hpp>

#include <QDir>
#include <QFile>
#include <QTemporaryDir>
#include <QtTest>

#include <climits>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

using namespace le;
using nlohmann::json;
using Samples = std::vector<std::int64_t>;

// Fixed seed: a failing row must fail the same way on every run and machine.
inline std::mt19937_64 make_rng() {
    return std::mt19937_64(0x5e551011ULL);
}

inline Histogram histogram_of(const Samples& samples) {
    Histogram h;
    for (const std::int64_t v : samples)
        h.record(v);
    return h;
}

inline Samples lognormal_samples(std::size_t n) {
    auto rng = make_rng();
    std::lognormal_distribution<double> dist(std::log(20'000.0), 0.8);
    Samples s(n);
    for (auto& v : s)
        v = std::llround(dist(rng));
    return s;
}

inline IntervalRecord make_record(int i, IntervalRecord::Kind kind) {
    IntervalRecord r;
    r.kind = kind;
    // Values without a short decimal form, so the round trip has to keep every bit.
    r.t_s = 0.1 + i / 3.0;
    r.duration_s = 1.0 / 3.0 + 1e-12 * i;
    r.target_rate = i % 2 ? kRateInf : 2500.5 + i;
    r.achieved_rate = 2499.999999 / (i + 1);
    r.payload = 64u << i;
    r.tasks = i == 2 ? INT_MAX : 10 * i;
    r.sent = (std::uint64_t{1} << 63) + static_cast<std::uint64_t>(i);
    r.received = 1000 + static_cast<std::uint64_t>(i);
    r.lost = static_cast<std::uint64_t>(i);
    r.errors = i == 1 ? 3 : 0;
    r.bytes = std::numeric_limits<std::uint64_t>::max() - static_cast<std::uint64_t>(i);
    r.min_us = 1e-9 * (i + 1);
    r.mean_us = 21.123456789012345 + i;
    r.p50_us = 20.48 + i;
    r.p90_us = 30.72 + i;
    r.p99_us = 40.96 + i;
    r.p999_us = 81.92 + i;
    r.p9999_us = 163.84 + i;
    r.max_us = 1.0995e9 + i;
    r.send_lag_p50_us = 0.125 + i;
    r.send_lag_p99_us = 7.5 + i;
    r.send_lag_max_us = 1234.5 + i;
    r.saturated = i == 2;
    if (i == 1)
        r.changes = {{0.25, "rate", "10k"}, {0.5, "tasks", "100"}};
    if (i == 2)
        r.changes = {{0.75, "payload", "1KiB"}};
    return r;
}

inline RunHistory synthetic_run(int intervals, bool with_summary) {
    RunHistory run("baseline \"A\" ✓");
    run.info() = {{"peer", "tcp://127.0.0.1:5000"},
                  {"host", "héllo ✓"},
                  {"note", "quote \" backslash \\ newline \n tab \t"},
                  {"", "empty key"}};
    for (int i = 0; i < intervals; ++i)
        run.add(make_record(i, IntervalRecord::Kind::Interval));
    if (with_summary) {
        IntervalRecord s = make_record(7, IntervalRecord::Kind::Summary);
        s.changes = run.changes();
        run.set_summary(s);
    }
    if (intervals > 0) {
        Histogram whole = histogram_of(lognormal_samples(20'000));
        whole.record(Histogram::kMaxTrackable + 5);
        run.set_whole_run(whole);
    }
    return run;
}

// Empty when equal; else the first difference, for the failure message. Doubles are compared
// exactly: the file must keep every bit.
inline std::string record_difference(const IntervalRecord& a, const IntervalRecord& b) {
    const auto field = [](const char* name) { return std::string(name) + " differs"; };
#define LE_SAME(member)                                                                                      \
    if (!(a.member == b.member))                                                                             \
        return field(#member);
    LE_SAME(kind)
    LE_SAME(t_s)
    LE_SAME(duration_s)
    LE_SAME(target_rate)
    LE_SAME(achieved_rate)
    LE_SAME(payload)
    LE_SAME(tasks)
    LE_SAME(sent)
    LE_SAME(received)
    LE_SAME(lost)
    LE_SAME(errors)
    LE_SAME(bytes)
    LE_SAME(min_us)
    LE_SAME(mean_us)
    LE_SAME(p50_us)
    LE_SAME(p90_us)
    LE_SAME(p99_us)
    LE_SAME(p999_us)
    LE_SAME(p9999_us)
    LE_SAME(max_us)
    LE_SAME(send_lag_p50_us)
    LE_SAME(send_lag_p99_us)
    LE_SAME(send_lag_max_us)
    LE_SAME(saturated)
#undef LE_SAME
    if (a.changes.size() != b.changes.size())
        return "number of changes differs";
    for (std::size_t i = 0; i < a.changes.size(); ++i) {
        const ParamChange& x = a.changes[i];
        const ParamChange& y = b.changes[i];
        if (x.t_s != y.t_s || x.key != y.key || x.value != y.value)
            return "changes[" + std::to_string(i) + "] differs";
    }
    if (b.rtt_ns)
        return "loaded record has a histogram";
    return {};
}

inline std::string run_difference(const RunHistory& a, const RunHistory& b) {
    if (a.name() != b.name())
        return "name: '" + a.name() + "' vs '" + b.name() + "'";
    if (a.info() != b.info())
        return "info differs";
    if (a.intervals().size() != b.intervals().size())
        return "number of intervals: " + std::to_string(a.intervals().size()) + " vs " +
               std::to_string(b.intervals().size());
    for (std::size_t i = 0; i < a.intervals().size(); ++i)
        if (std::string d = record_difference(a.intervals()[i], b.intervals()[i]); !d.empty())
            return "intervals[" + std::to_string(i) + "]: " + d;
    if (a.changes().size() != b.changes().size())
        return "changes() differ";
    if (a.summary().has_value() != b.summary().has_value())
        return "summary presence differs";
    if (a.summary())
        if (std::string d = record_difference(*a.summary(), *b.summary()); !d.empty())
            return "summary: " + d;
    if (!(a.whole_run() == b.whole_run()))
        return "whole_run differs";
    return {};
}

inline std::string read_all(const std::string& path) {
    QFile f(QString::fromStdString(path));
    if (!f.open(QIODevice::ReadOnly))
        return {};
    return f.readAll().toStdString();
}

inline bool write_all(const QString& path, const QByteArray& content) {
    QFile f(path);
    return f.open(QIODevice::WriteOnly | QIODevice::Truncate) && f.write(content) == content.size();
}

inline QStringList files_in(const QTemporaryDir& dir) {
    return QDir(dir.path()).entryList(QDir::Files | QDir::Hidden | QDir::NoDotAndDotDot, QDir::Name);
}

// The message load_session() gave, or "no exception".
inline QString load_error(const std::string& path) {
    try {
        load_session(path);
    } catch (const std::runtime_error& e) {
        return QString::fromStdString(e.what());
    }
    return "no exception";
}

// A histogram of 10, 20 and 30 ns: one count each in buckets 10, 20 and 30.
inline json small_histogram_json() {
    return histogram_to_json(histogram_of({10, 20, 30}));
}
