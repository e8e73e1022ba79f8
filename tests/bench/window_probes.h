#pragma once

// What the window benchmarks measure with: the event loop run for a while or until a condition,
// process figures (RSS, CPU time), nearest-rank percentiles, the event loop's own lateness
// (LagProbe) and GUI-thread time per event receiver (BenchApp).
#include "main_window.h"
#include "session_bridge.h"

#include <QApplication>
#include <QElapsedTimer>
#include <QEventLoop>
#include <QFile>
#include <QMetaEnum>
#include <QThread>
#include <QTimer>

#include <qcustomplot.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <ctime>
#include <functional>
#include <map>
#include <string>
#include <vector>

using Clock = std::chrono::steady_clock;

inline constexpr int kLagTickMs = 10; // LagProbe's timer interval

inline double seconds(Clock::duration d) {
    return std::chrono::duration<double>(d).count();
}

inline double cpuSeconds(clockid_t clock) {
    timespec ts{};
    clock_gettime(clock, &ts);
    return double(ts.tv_sec) + double(ts.tv_nsec) / 1e9;
}

// VmRSS of a process ("self" or a pid) in bytes, or -1.
inline double rssBytes(const QString& pid = QStringLiteral("self")) {
    QFile f("/proc/" + pid + "/status");
    if (!f.open(QIODevice::ReadOnly))
        return -1;
    for (const QByteArray& line : f.readAll().split('\n')) {
        if (line.startsWith("VmRSS:")) {
            bool ok = false;
            const double kb = line.mid(6).trimmed().split(' ').value(0).toDouble(&ok);
            return ok ? kb * 1024 : -1;
        }
    }
    return -1;
}

inline double percentile(std::vector<double> v, double p) {
    if (v.empty())
        return 0;
    std::sort(v.begin(), v.end());
    // Nearest rank.
    const auto rank = std::size_t(std::max(1.0, std::ceil(p / 100.0 * double(v.size()))));
    return v[std::min(rank, v.size()) - 1];
}

// Runs the event loop (a real one: the window redraws, timers fire) for `ms`.
inline void runFor(int ms) {
    QEventLoop loop;
    QTimer::singleShot(std::max(0, ms), Qt::PreciseTimer, &loop, &QEventLoop::quit);
    loop.exec();
}

// Runs the event loop until `done` or the timeout; returns done().
inline bool waitUntil(const std::function<bool()>& done, int timeoutMs) {
    if (done())
        return true;
    QElapsedTimer elapsed;
    elapsed.start();
    QEventLoop loop;
    QTimer check;
    check.setInterval(10);
    QObject::connect(&check, &QTimer::timeout, &loop, [&] {
        if (done() || elapsed.elapsed() >= timeoutMs)
            loop.quit();
    });
    check.start();
    loop.exec();
    return done();
}

// The event loop's own lateness: a single-shot timer re-armed on every tick, so a blocked loop
// shows as one long interval instead of being smoothed by catch-up ticks.
class LagProbe {
public:
    LagProbe() {
        m_timer.setSingleShot(true);
        m_timer.setTimerType(Qt::PreciseTimer);
        m_timer.setInterval(kLagTickMs);
        QObject::connect(&m_timer, &QTimer::timeout, &m_timer, [this] {
            const auto now = Clock::now();
            if (m_measuring)
                m_lagMs.push_back(std::max(0.0, seconds(now - m_armed) * 1e3 - kLagTickMs));
            m_armed = Clock::now();
            m_timer.start();
        });
        m_armed = Clock::now();
        m_timer.start();
    }
    void setMeasuring(bool on) { m_measuring = on; }
    const std::vector<double>& lagMs() const { return m_lagMs; }
    const QTimer* timer() const { return &m_timer; }

private:
    QTimer m_timer;
    Clock::time_point m_armed;
    bool m_measuring = false;
    std::vector<double> m_lagMs;
};

// Times every top-level event dispatch on the GUI thread, by receiver, for --profile and for the
// "GUI thread busy" figure. Nested dispatches (paint inside an update request) count in their parent.
class BenchApp : public QApplication {
public:
    using QApplication::QApplication;

    bool notify(QObject* receiver, QEvent* event) override {
        if (!m_measuring || m_depth > 0 || thread() != QThread::currentThread())
            return QApplication::notify(receiver, event);
        // Before dispatching: a DeferredDelete event deletes its receiver.
        const QEvent::Type type = event->type();
        const std::string who = m_profile ? describe(receiver) : std::string();
        const bool redraw = isRedrawWork(receiver);
        const bool timeCpu = m_profile || redraw;
        ++m_depth;
        const double cpu0 = timeCpu ? cpuSeconds(CLOCK_THREAD_CPUTIME_ID) : 0;
        const auto start = Clock::now();
        const bool result = QApplication::notify(receiver, event);
        const double s = seconds(Clock::now() - start);
        const double cpu = timeCpu ? cpuSeconds(CLOCK_THREAD_CPUTIME_ID) - cpu0 : 0;
        --m_depth;
        m_busy += s;
        if (redraw) {
            m_redrawWall += s;
            m_redrawCpu += cpu;
        }
        if (m_profile) {
            Entry& e = m_entries[label(who, type)];
            e.cpu += cpu;
            e.seconds += s;
            e.max = std::max(e.max, s);
            ++e.count;
        }
        return result;
    }

    void setMeasuring(bool on) { m_measuring = on; }
    void setProfile(bool on) { m_profile = on; }
    // Names the window's member timers, which have no parent and no name.
    void setWindow(const MainWindow* w) { m_window = w; }
    void setLagTimer(const QTimer* t) { m_lagTimer = t; }
    double busySeconds() const { return m_busy; }
    // GUI-thread time of redrawing: the plots' own events (queued replots), the window's redraw
    // timer (refreshPlots) and the window's update and layout requests (painting, status bar).
    double redrawWallSeconds() const { return m_redrawWall; }
    double redrawCpuSeconds() const { return m_redrawCpu; }

    void printProfile(double wall) const {
        std::vector<std::pair<std::string, Entry>> rows(m_entries.begin(), m_entries.end());
        std::sort(rows.begin(), rows.end(),
                  [](const auto& a, const auto& b) { return a.second.seconds > b.second.seconds; });
        std::printf("\nGUI thread time by event (measured phase, %.1f s):\n", wall);
        std::printf("  %-52s %7s %7s %9s %9s %9s\n", "receiver / event", "count", "share", "mean ms",
                    "max ms", "CPU ms");
        for (std::size_t i = 0; i < rows.size() && i < 15; ++i) {
            const auto& [name, e] = rows[i];
            std::printf("  %-52s %7ld %6.2f%% %9.3f %9.2f %9.3f\n", name.c_str(), e.count,
                        e.seconds / wall * 100, e.seconds / double(e.count) * 1e3, e.max * 1e3,
                        e.cpu / double(e.count) * 1e3);
        }
    }

private:
    struct Entry {
        double seconds = 0, max = 0, cpu = 0; // wall, longest wall, thread CPU
        long count = 0;
    };

    bool windowMember(const QObject* o) const {
        const auto* p = reinterpret_cast<const char*>(o);
        const auto* w = reinterpret_cast<const char*>(m_window);
        return w && p >= w && p < w + sizeof(MainWindow);
    }

    bool isRedrawWork(const QObject* receiver) const {
        return receiver == m_window || qobject_cast<const QCustomPlot*>(receiver) ||
               (qobject_cast<const QTimer*>(receiver) && windowMember(receiver));
    }

    std::string describe(const QObject* receiver) const {
        std::string who = receiver->metaObject()->className();
        const auto* p = reinterpret_cast<const char*>(receiver);
        const auto* b = m_window ? reinterpret_cast<const char*>(m_window->bridge()) : nullptr;
        if (receiver == m_lagTimer)
            return "lag probe timer";
        if (!qobject_cast<const QTimer*>(receiver))
            return who; // only the member timers need a name
        if (windowMember(receiver))
            who += " (MainWindow member: redraw timer)";
        else if (b && p >= b && p < b + sizeof(SessionBridge))
            who += " (SessionBridge member: poll timer)";
        return who;
    }

    static std::string label(const std::string& who, QEvent::Type type) {
        const char* name = QMetaEnum::fromType<QEvent::Type>().valueToKey(type);
        return who + " / " + (name ? name : std::to_string(int(type)));
    }

    bool m_measuring = false, m_profile = false;
    int m_depth = 0;
    double m_busy = 0, m_redrawWall = 0, m_redrawCpu = 0;
    const MainWindow* m_window = nullptr;
    const QTimer* m_lagTimer = nullptr;
    std::map<std::string, Entry> m_entries;
};
