#include "hlog_writer.h"

#include "hdr_log.h"

#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace le {

HlogWriter::HlogWriter(const std::string& path, double start_epoch_s, std::string_view comment)
    : m_path(path)
    , m_file(std::fopen(path.c_str(), "w"), &std::fclose) {
    if (!m_file)
        throw std::runtime_error(fmt::format("cannot write {}: {}", path, std::strerror(errno)));
    put(hlog_header(start_epoch_s, comment));
}

void HlogWriter::write(const IntervalRecord& r) {
    if (r.kind != IntervalRecord::Kind::Interval || !r.rtt_ns)
        return;
    const double start = r.t_s - r.duration_s;
    write("", start, r.duration_s, *r.rtt_ns);
    if (r.rtt_first_ns && r.rtt_rest_ns) {
        write("first", start, r.duration_s, *r.rtt_first_ns);
        write("rest", start, r.duration_s, *r.rtt_rest_ns);
    }
}

void HlogWriter::write(std::string_view tag, double start_s, double length_s, const Histogram& h) {
    put(hlog_row(tag, start_s, length_s, h));
}

void HlogWriter::put(const std::string& text) {
    if (std::fwrite(text.data(), 1, text.size(), m_file.get()) != text.size() ||
        std::fflush(m_file.get()) != 0)
        throw std::runtime_error(fmt::format("cannot write {}: {}", m_path, std::strerror(errno)));
}

} // namespace le
