#include "hdr_log.h"

#include "base64.h"
#include "file_io.h"
#include "hdr_codec.h"

#include <fmt/format.h>

#include <charconv>
#include <cmath>
#include <ctime>
#include <stdexcept>

namespace le {

namespace {

constexpr std::string_view kLegend =
    R"("StartTimestamp","Interval_Length","Interval_Max","Interval_Compressed_Histogram")";
constexpr double kYear = 365 * 24 * 3600.0;

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
        s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
        s.remove_suffix(1);
    return s;
}

std::optional<double> to_double(std::string_view s) {
    double v = 0;
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || end != s.data() + s.size() || !std::isfinite(v))
        return std::nullopt;
    return v;
}

// "#[StartTime: 1700000000.123 (seconds since epoch), ...]" -> 1700000000.123
std::optional<double> bracket_time(std::string_view line, std::string_view key) {
    if (!line.starts_with(key))
        return std::nullopt;
    std::string_view rest = trim(line.substr(key.size()));
    const std::size_t end = rest.find_first_of(" ,]");
    return to_double(rest.substr(0, end));
}

} // namespace

std::string hlog_iso_time(double epoch_s) {
    const auto t = static_cast<std::time_t>(epoch_s);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
}

double HdrLog::absolute_start(const HdrLogInterval& i) const {
    if (base_time_s)
        return *base_time_s + i.start_s;
    if (start_time_s && i.start_s < *start_time_s - kYear)
        return *start_time_s + i.start_s;
    return i.start_s;
}

std::string hlog_header(double start_epoch_s, std::string_view extra_comment) {
    std::string out = "#[Latency Explorer interval log: values are round-trip times in nanoseconds]\n";
    out += "#[Histogram log format version 1.3]\n";
    out += fmt::format("#[StartTime: {:.3f} (seconds since epoch), {}]\n", start_epoch_s,
                       hlog_iso_time(start_epoch_s));
    out += fmt::format("#[BaseTime: {:.3f} (seconds since epoch)]\n", start_epoch_s);
    out +=
        fmt::format("#[MaxValue: Interval_Max is in milliseconds (max ns / {:.0f})]\n", kHlogMaxValueRatio);
    if (!extra_comment.empty())
        out += fmt::format("#{}\n", extra_comment);
    out += kLegend;
    out += '\n';
    return out;
}

std::string hlog_row(std::string_view tag, double start_s, double length_s, const Histogram& h) {
    return hlog_row_compressed(tag, start_s, length_s, h.max(), hdr_encode_compressed(h));
}

std::string hlog_row_compressed(std::string_view tag, double start_s, double length_s, std::int64_t max_ns,
                                std::string_view compressed) {
    if (tag.find_first_of(", \r\n") != std::string_view::npos)
        throw std::invalid_argument(fmt::format("tag '{}' contains a comma, space or line break", tag));
    const std::string payload = base64_encode(compressed);
    const double max = static_cast<double>(max_ns) / kHlogMaxValueRatio;
    if (tag.empty())
        return fmt::format("{:.3f},{:.3f},{:.3f},{}\n", start_s, length_s, max, payload);
    return fmt::format("Tag={},{:.3f},{:.3f},{:.3f},{}\n", tag, start_s, length_s, max, payload);
}

HdrLog parse_hlog(std::string_view text, std::string_view source) {
    HdrLog log;
    std::size_t line_no = 0;
    const auto fail = [&](const std::string& why) {
        const std::string where =
            source.empty() ? fmt::format("line {}", line_no) : fmt::format("{}:{}", source, line_no);
        return std::runtime_error(fmt::format("{}: corrupt interval log line: {}", where, why));
    };
    while (!text.empty()) {
        const std::size_t nl = text.find('\n');
        const std::string_view raw = text.substr(0, nl);
        text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
        ++line_no;
        const std::string_view line = trim(raw);
        if (line.empty() || line.starts_with("\"StartTimestamp\""))
            continue;
        if (line.front() == '#') {
            if (const auto t = bracket_time(line, "#[StartTime:"))
                log.start_time_s = *t;
            else if (const auto b = bracket_time(line, "#[BaseTime:"))
                log.base_time_s = *b;
            else
                log.comments.emplace_back(line.substr(1));
            continue;
        }
        HdrLogInterval in;
        in.line = line_no;
        std::string_view rest = line;
        if (rest.starts_with("Tag=")) {
            const std::size_t comma = rest.find(',');
            in.tag = std::string(rest.substr(4, comma == std::string_view::npos ? rest.npos : comma - 4));
            if (comma == std::string_view::npos)
                throw fail("a tag and nothing else");
            rest.remove_prefix(comma + 1);
        }
        std::string_view fields[4];
        for (int f = 0; f < 4; ++f) {
            const std::size_t comma = f < 3 ? rest.find(',') : rest.npos;
            if (f < 3 && comma == std::string_view::npos)
                throw fail(
                    fmt::format("{} fields where StartTimestamp,Interval_Length,Interval_Max,histogram "
                                "are expected",
                                f + 1));
            fields[f] = trim(rest.substr(0, comma));
            if (f < 3)
                rest.remove_prefix(comma + 1);
        }
        static constexpr const char* kNames[] = {"StartTimestamp", "Interval_Length", "Interval_Max"};
        double numbers[3] = {};
        for (int f = 0; f < 3; ++f) {
            const auto v = to_double(fields[f]);
            if (!v)
                throw fail(fmt::format("{} '{}' is not a number", kNames[f], fields[f].substr(0, 40)));
            numbers[f] = *v;
        }
        if (numbers[1] < 0)
            throw fail(fmt::format("Interval_Length {} is negative", numbers[1]));
        in.start_s = numbers[0];
        in.length_s = numbers[1];
        in.max_column = numbers[2];
        try {
            in.histogram = hdr_decode_compressed(base64_decode(fields[3]));
        } catch (const std::invalid_argument& e) {
            throw fail(fmt::format("histogram: {}", e.what()));
        }
        log.intervals.push_back(std::move(in));
    }
    return log;
}

HdrLog read_hlog(const std::string& path) {
    return parse_hlog(read_file_bounded(path, kMaxHlogBytes, "interval log"), path);
}

bool looks_like_hlog(std::string_view text) {
    text = trim(text.substr(0, text.find('\n')));
    return text.starts_with("#[") || text.starts_with(kLegend.substr(0, 16)) || text.starts_with("Tag=");
}

} // namespace le
