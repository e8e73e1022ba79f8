#include "sweep_result.h"

#include "file_io.h"
#include "histogram_json.h"
#include "json_fields.h"
#include "sweep_split.h"
#include "units.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <ctime>
#include <fstream>
#include <map>
#include <new>
#include <set>
#include <sstream>
#include <stdexcept>

namespace le {
namespace {

// The first line of the CSV form before version 1 became plain CSV (still read).
constexpr std::string_view kCsvMagic = "# latency-explorer sweep v1";
// The plain CSV form starts with its header row, whose first columns are these.
constexpr std::string_view kCsvHeaderStart = "kind,key,transport,";
constexpr std::string_view kJsonFormat = "latency-explorer-sweep";
constexpr int kVersion = 1;
constexpr std::uint64_t kMaxFileBytes = std::uint64_t{512} << 20;

// The sweep's own fields, after the point's in the plain (header-first) CSV.
const std::vector<std::string> kSweepColumns = {"sweep_version", "spec", "started", "host"};
const std::vector<std::string> kColumns = {
    "kind",         "key",           "transport",   "engine",        "tasks",    "payload", "repetition",
    "target_rate",  "achieved_rate", "duration_s",  "sent",          "received", "lost",    "errors",
    "loss_percent", "min_us",        "p10_us",      "p50_us",        "p90_us",   "p99_us",  "p999_us",
    "max_us",       "mean_us",       "cpu_percent", "finished_at_s", "error",    "note",    "histogram"};

bool ends_with(const std::string& s, std::string_view suffix) {
    if (s.size() < suffix.size())
        return false;
    std::string tail = s.substr(s.size() - suffix.size());
    for (char& c : tail)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return tail == suffix;
}

std::string one_line(std::string s) {
    for (char& c : s)
        if (c == '\n' || c == '\r')
            c = ' ';
    return s;
}

std::string csv_quote(const std::string& s) {
    std::string out = "\"";
    for (char c : one_line(s)) {
        if (c == '"')
            out += '"';
        out += c;
    }
    return out + "\"";
}

// RFC 4180 fields of one line (no embedded newlines: the writer never makes any).
std::vector<std::string> csv_split(const std::string& line) {
    std::vector<std::string> out(1);
    bool quoted = false;
    for (std::size_t i = 0; i < line.size(); ++i) {
        const char c = line[i];
        if (quoted) {
            if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
                out.back() += '"';
                ++i;
            } else if (c == '"') {
                quoted = false;
            } else {
                out.back() += c;
            }
        } else if (c == '"') {
            quoted = true;
        } else if (c == ',') {
            out.emplace_back();
        } else {
            out.back() += c;
        }
    }
    if (quoted)
        throw std::runtime_error("unterminated quoted field");
    return out;
}

// Text in a sweep is not always UTF-8 (a ping's message quoted in an error, a host name, a CSV
// edited elsewhere), and nlohmann's strict dump() would throw on saving it: replace such bytes.
std::string dump(const nlohmann::json& j, int indent = -1) {
    return j.dump(indent, ' ', false, nlohmann::json::error_handler_t::replace);
}

nlohmann::json point_to_json(const SweepPointResult& p) {
    nlohmann::json j = {
        {"kind", p.icmp ? "icmp" : "ping"},
        {"key", p.key},
        {"transport", p.transport},
        {"engine", p.engine},
        {"tasks", p.tasks},
        {"payload", p.payload},
        {"repetition", p.repetition},
        {"target_rate", p.target_rate == kRateInf ? nlohmann::json("inf") : nlohmann::json(p.target_rate)},
        {"achieved_rate", p.achieved_rate},
        {"duration_s", p.duration_s},
        {"sent", p.sent},
        {"received", p.received},
        {"lost", p.lost},
        {"errors", p.errors},
        {"loss_percent", p.loss_percent()},
        {"min_us", p.rtt.min() / 1000.0},
        {"p10_us", p.percentile_us(10)},
        {"p50_us", p.percentile_us(50)},
        {"p90_us", p.percentile_us(90)},
        {"p99_us", p.percentile_us(99)},
        {"p999_us", p.percentile_us(99.9)},
        {"max_us", p.rtt.max() / 1000.0},
        {"mean_us", p.rtt.mean() / 1000.0},
        {"cpu_percent", p.cpu_percent},
        {"finished_at_s", p.finished_at_s},
        {"error", p.error},
        {"note", p.note},
        {"histogram", histogram_to_json(p.rtt)},
    };
    add_split_json(j, p);
    return j;
}

// Each point holds its histogram in full (~35 KiB in memory): a file of more than kMaxSweepPoints is
// refused as too large before they are read, rather than taking gigabytes (and not called corrupt).
struct TooLarge : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// Reads the fields both renderings share; the derived statistics are not read back (the histogram
// is the truth).
template <class Get> SweepPointResult point_from(Get&& get) {
    // `get` may return a temporary: every reference into it is used within its full expression.
    SweepPointResult p;
    const std::string kind = json_string(get("kind"), "kind");
    if (kind != "ping" && kind != "icmp")
        throw std::runtime_error(fmt::format("kind '{}' is neither ping nor icmp", kind));
    p.icmp = kind == "icmp";
    p.key = json_string(get("key"), "key");
    p.transport = json_string(get("transport"), "transport");
    p.engine = json_string(get("engine"), "engine");
    // Values no sweep can have measured are refused, as a damaged file is.
    p.tasks = json_integer<int>(get("tasks"), "tasks", 0, kMaxTasks);
    p.payload = json_integer<std::size_t>(get("payload"), "payload", 0, kMaxPayload);
    p.repetition = json_integer<int>(get("repetition"), "repetition", 0);
    const nlohmann::json target = get("target_rate");
    p.target_rate = target.is_string() && target.template get<std::string>() == "inf"
                        ? kRateInf
                        : json_number(target, "target_rate", kRateMin, kRateMax);
    p.achieved_rate = json_nonnegative(get("achieved_rate"), "achieved_rate");
    p.duration_s = json_nonnegative(get("duration_s"), "duration_s");
    p.sent = json_integer<std::uint64_t>(get("sent"), "sent");
    p.received = json_integer<std::uint64_t>(get("received"), "received");
    p.lost = json_integer<std::uint64_t>(get("lost"), "lost");
    p.errors = json_integer<std::uint64_t>(get("errors"), "errors");
    // Our ping ends every message sent as one of received, lost or errors; the system ping may
    // count a duplicate reply as received, but never loses more than it sent.
    const bool counts_add_up = p.icmp ? p.lost <= p.sent
                                      : p.received <= p.sent && p.lost <= p.sent - p.received &&
                                            p.errors == p.sent - p.received - p.lost;
    if (!counts_add_up)
        throw std::runtime_error(
            fmt::format("the counts do not add up: sent {} is not received {} + lost {} + "
                        "errors {}",
                        p.sent, p.received, p.lost, p.errors));
    p.cpu_percent = json_nonnegative(get("cpu_percent"), "cpu_percent");
    p.finished_at_s = json_nonnegative(get("finished_at_s"), "finished_at_s");
    p.error = json_string(get("error"), "error");
    p.note = json_string(get("note"), "note");
    p.rtt = histogram_from_json(get("histogram"), "histogram");
    return p;
}

// Plain CSV: the header row first, then a row per point; the sweep's own fields (format version,
// spec, start, host) are columns repeated in every row, so any row alone says what it belongs to.
// A sweep without points has one row of kind "none" holding only them.
std::string to_csv(const SweepFile& f) {
    std::string out;
    for (std::size_t i = 0; i < kColumns.size(); ++i)
        out += (i ? "," : "") + kColumns[i];
    for (const auto& c : kSweepColumns)
        out += "," + c;
    for (const auto& c : split_csv_columns())
        out += "," + c;
    out += '\n';
    const std::string sweep = fmt::format(",{},{},{},{}", kVersion, csv_quote(dump(spec_to_json(f.spec))),
                                          csv_quote(f.started), csv_quote(f.host));
    if (f.points.empty())
        out += "none" + std::string(kColumns.size() - 1, ',') + sweep +
               std::string(split_csv_columns().size(), ',') + '\n';
    for (const auto& p : f.points) {
        const nlohmann::json j = point_to_json(p);
        for (std::size_t i = 0; i < kColumns.size(); ++i) {
            const nlohmann::json& v = j.at(kColumns[i]);
            if (i)
                out += ',';
            if (kColumns[i] == "histogram")
                out += csv_quote(dump(v));
            else if (v.is_string())
                out += csv_quote(v.get<std::string>());
            else if (v.is_number_float())
                out += fmt::format("{}", v.get<double>());
            else
                out += dump(v);
        }
        out += sweep;
        const std::vector<std::string> split = split_csv_cells(p);
        for (std::size_t i = 0; i < split.size(); ++i)
            out += "," + (split_csv_columns()[i].ends_with("_available") ? csv_quote(split[i]) : split[i]);
        out += '\n';
    }
    return out;
}

// A CSV row per point, each starting with its kind (our writer keeps every field on one line):
// counted before any is read, so a file of too many points is refused before its histograms take
// the memory.
void check_csv_rows(std::string_view text) {
    std::size_t rows = 0;
    for (const std::string_view kind : {"\n\"ping\",", "\n\"icmp\",", "\nping,", "\nicmp,"})
        for (auto at = text.find(kind); at != std::string_view::npos; at = text.find(kind, at + 1))
            ++rows;
    if (rows > kMaxSweepPoints)
        throw TooLarge(fmt::format("too large: it has {} points, more than the {} a sweep holds", rows,
                                   kMaxSweepPoints));
}

SweepFile from_csv(const std::string& path, std::string_view text) {
    check_csv_rows(text);
    std::istringstream in{std::string(text)};
    std::string line;
    int line_no = 0;
    const auto fail = [&](const std::string& why) {
        return std::runtime_error(fmt::format("{} line {}: {}", path, line_no, why));
    };
    SweepFile f;
    std::vector<std::string> header;
    bool have_spec = false;
    while (std::getline(in, line)) {
        ++line_no;
        if (!line.empty() && line.back() == '\r')
            line.pop_back();
        if (line_no == 1 && line != kCsvMagic && !line.starts_with(kCsvHeaderStart))
            throw std::runtime_error(fmt::format("{} is not a sweep file", path));
        if (line_no == 1 && line == kCsvMagic)
            continue;
        if (line.empty())
            continue;
        if (line.starts_with("# spec ")) {
            try {
                f.spec = spec_from_json(nlohmann::json::parse(line.substr(7)));
            } catch (const std::bad_alloc&) {
                throw;
            } catch (const TooLarge&) {
                throw;
            } catch (const std::exception& e) {
                throw fail(e.what());
            }
            have_spec = true;
        } else if (line.starts_with("# started ")) {
            f.started = line.substr(10);
        } else if (line.starts_with("# host ")) {
            f.host = line.substr(7);
        } else if (line.starts_with("#")) {
            continue;
        } else if (header.empty()) {
            header = csv_split(line);
            for (const auto& c : kColumns)
                if (std::find(header.begin(), header.end(), c) == header.end())
                    throw fail(fmt::format("column '{}' is missing", c));
        } else {
            try {
                const std::vector<std::string> fields = csv_split(line);
                if (fields.size() != header.size())
                    throw std::runtime_error(
                        fmt::format("{} fields where the header has {}", fields.size(), header.size()));
                std::map<std::string, std::string> row;
                for (std::size_t i = 0; i < header.size(); ++i)
                    row[header[i]] = fields[i];
                if (!have_spec && row.contains("spec")) {
                    if (row.contains("sweep_version") && row.at("sweep_version") != std::to_string(kVersion))
                        throw std::runtime_error(fmt::format("unsupported sweep version {}",
                                                             row.at("sweep_version").substr(0, 40)));
                    f.spec = spec_from_json(nlohmann::json::parse(row.at("spec")));
                    have_spec = true;
                    f.started = row.contains("started") ? row.at("started") : std::string();
                    f.host = row.contains("host") ? row.at("host") : std::string();
                }
                if (row.at("kind") == "none")
                    continue;
                const std::set<std::string> text_columns = {"kind",   "key",   "transport",
                                                            "engine", "error", "note"};
                f.points.push_back(point_from([&](const std::string& name) -> nlohmann::json {
                    const std::string& v = row.at(name);
                    if (text_columns.contains(name))
                        return v;
                    if (name == "target_rate" && (v == "\"inf\"" || v == "inf"))
                        return "inf";
                    return nlohmann::json::parse(v);
                }));
                read_split_csv(row, f.points.back());
            } catch (const std::bad_alloc&) {
                throw;
            } catch (const TooLarge&) {
                throw;
            } catch (const std::exception& e) {
                throw fail(e.what());
            }
        }
    }
    if (!have_spec)
        throw std::runtime_error(fmt::format("{}: the '# spec' line is missing", path));
    if (header.empty())
        throw std::runtime_error(fmt::format("{}: the header row is missing", path));
    return f;
}

SweepFile from_json(const std::string& path, std::string_view text) {
    nlohmann::json doc;
    try {
        doc = nlohmann::json::parse(text);
    } catch (const nlohmann::json::exception&) {
        throw std::runtime_error(fmt::format("{} is not a sweep file (not JSON)", path));
    }
    // Looked at by hand: json::value() throws type_error for {"format":2} and casts a version of
    // 1e300 to int (undefined behaviour).
    const auto format = doc.is_object() ? doc.find("format") : doc.end();
    if (format == doc.end() || !format->is_string() || format->get_ref<const std::string&>() != kJsonFormat)
        throw std::runtime_error(fmt::format("{} is not a sweep file", path));
    const auto version = doc.find("version");
    if (version == doc.end() || !version->is_number_integer() || *version != kVersion)
        throw std::runtime_error(fmt::format("{}: unsupported sweep version {}", path,
                                             version == doc.end() ? "(none)" : dump(*version).substr(0, 40)));
    SweepFile f;
    try {
        if (const auto points = doc.find("points");
            points != doc.end() && points->is_array() && points->size() > kMaxSweepPoints)
            throw TooLarge(fmt::format("too large: it has {} points, more than the {} a sweep holds",
                                       points->size(), kMaxSweepPoints));
        f.spec = spec_from_json(json_field(doc, "spec", "spec"));
        f.started = doc.value("started", std::string());
        f.host = doc.value("host", std::string());
        std::size_t i = 0;
        for (const auto& p : json_array(json_field(doc, "points", "points"), "points")) {
            try {
                f.points.push_back(point_from([&](const std::string& name) -> const nlohmann::json& {
                    return json_field(p, name, name);
                }));
                read_split_json(p, f.points.back());
            } catch (const std::bad_alloc&) {
                throw;
            } catch (const TooLarge&) {
                throw;
            } catch (const std::exception& e) {
                throw std::runtime_error(fmt::format("points[{}]: {}", i, e.what()));
            }
            ++i;
        }
    } catch (const std::bad_alloc&) {
        throw;
    } catch (const TooLarge&) {
        throw;
    } catch (const std::exception& e) {
        throw std::runtime_error(fmt::format("{}: corrupt sweep: {}", path, e.what()));
    }
    return f;
}

} // namespace

std::string SweepPointResult::series() const {
    if (icmp)
        return "ICMP (system ping)";
    return fmt::format("{}/{}/{} tasks/{}", engine, transport, tasks, format_size(payload));
}

const SweepPointResult* SweepFile::done(const std::string& key) const {
    for (const auto& p : points)
        if (p.key == key && p.error.empty())
            return &p;
    return nullptr;
}

std::string render_sweep(const SweepFile& f, SweepFormat format) {
    if (format == SweepFormat::Csv)
        return to_csv(f);
    nlohmann::json points = nlohmann::json::array();
    for (const auto& p : f.points)
        points.push_back(point_to_json(p));
    const nlohmann::json doc{{"format", kJsonFormat}, {"version", kVersion}, {"spec", spec_to_json(f.spec)},
                             {"started", f.started},  {"host", f.host},      {"points", points}};
    return dump(doc, 1) + "\n";
}

void save_sweep(const std::string& path, const SweepFile& f) {
    std::string text;
    if (ends_with(path, ".json"))
        text = render_sweep(f, SweepFormat::Json);
    else if (ends_with(path, ".csv"))
        text = render_sweep(f, SweepFormat::Csv);
    else
        throw std::runtime_error(fmt::format("cannot write {}: a sweep file ends in .csv or .json", path));
    write_file_atomically(path, text);
}

SweepFile parse_sweep(std::string_view text, const std::string& name) {
    try {
        if (text.starts_with(kCsvMagic) || text.starts_with(kCsvHeaderStart))
            return from_csv(name, text);
        const auto first = text.find_first_not_of(" \t\r\n");
        if (first != std::string_view::npos && text[first] == '{')
            return from_json(name, text);
    } catch (const std::bad_alloc&) {
        throw std::runtime_error(fmt::format("{} is too large to load: not enough memory for its {} MB", name,
                                             text.size() / 1'000'000));
    } catch (const TooLarge& e) {
        throw std::runtime_error(fmt::format("{} is {}", name, e.what()));
    }
    throw std::runtime_error(fmt::format("{} is not a sweep file", name));
}

SweepFile load_sweep(const std::string& path) {
    return parse_sweep(read_file_bounded(path, kMaxFileBytes, "sweep file"), path);
}

bool is_sweep_file(const std::string& path) {
    // O_NONBLOCK: opening a FIFO must not wait for a writer; only a regular file is looked into.
    const int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0)
        return false;
    struct stat st {};
    std::string head(256, '\0');
    std::size_t got = 0;
    if (::fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
        while (got < head.size()) {
            const ssize_t n = ::read(fd, head.data() + got, head.size() - got);
            if (n < 0 && errno == EINTR)
                continue;
            if (n <= 0)
                break;
            got += static_cast<std::size_t>(n);
        }
    }
    ::close(fd);
    head.resize(got);
    return head.starts_with(kCsvMagic) || head.starts_with(kCsvHeaderStart) ||
           head.find(fmt::format("\"{}\"", kJsonFormat)) != std::string::npos;
}

std::string sweep_host_name() {
    char name[256] = {};
    if (gethostname(name, sizeof name - 1) != 0)
        return "unknown";
    return name;
}

std::string sweep_timestamp() {
    const std::time_t t = std::time(nullptr);
    std::tm tm{};
    localtime_r(&t, &tm);
    char text[64];
    std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%S%z", &tm);
    return text;
}

} // namespace le
