#pragma once

// bench_window's command line: its options, their defaults and the usage text.
#include "session_bridge.h"

#include <QString>
#include <QStringList>

#include <cstdio>
#include <cstdlib>

#ifndef LE_PING_PATH
#define LE_PING_PATH "latency-ping"
#endif

namespace bench_window {

inline constexpr double kWarmRssAfterS = 20; // RSS baseline once the run has been going this long

struct Options {
    double duration = 20;  // seconds, the redraw/lag/throughput phase
    int pairs = 3;         // window phases, each between two references
    int toggleCycles = 10; // drawing/paused cycles of the drawing-cost phase
    double rssMinutes = 2; // 0 skips the RSS phase
    QString transport = QStringLiteral("tcp");
    QString engine = QStringLiteral("blocking");
    QString ping = QStringLiteral(LE_PING_PATH);
    QString pingCpus, pongCpus; // CPU lists for both sides alike; empty = not pinned
    bool profile = false;       // print where the GUI thread's time goes
    int overloadTasks = 1000;   // the overload phase's compute tasks; 0 skips the phase
    double overloadSeconds = 10;
    int measuredNice = SessionBridge::kMeasuredNice; // 0: the measurement at the window's priority
    bool normalDrawing = false; // draw at normal priority even where the window would draw idle
    bool paused = false;        // window phases with the view paused: the window's cost apart from drawing
    // The percentiles over time show this many seconds; the phases are measured once the run is past
    // them, with the time axis moving (in steps of a sixtieth: PercentilePlot). The window's default
    // is 60 s; at 10 s the axis steps six times as often, the dearer case, and it fits the phases.
    double timeWindow = 10;
};

[[noreturn]] inline void usage(int code) {
    std::fprintf(
        code ? stderr : stdout,
        "usage: bench_window [--duration SECONDS] [--pairs N] [--toggle-cycles N] [--rss-minutes M]\n"
        "                    [--transport tcp|udp|unix]\n"
        "                    [--engine blocking|asio] [--ping-cpu LIST] [--pong-cpu LIST]\n"
        "                    [--ping PATH] [--profile] [--overload-tasks N] [--overload-seconds S]\n"
        "                    [--measured-nice N] [--normal-drawing] [--paused] [--time-window S]\n"
        "  --duration     redraw/lag/throughput phase (default 20)\n"
        "  --pairs        window phases of --duration, each between two runs of latency-ping alone;\n"
        "                 the msg/s ratio is their median (default 3)\n"
        "  --toggle-cycles  cycles of 2 s drawing, 2 s paused for the drawing cost (default 10, 0 skips)\n"
        "  --rss-minutes  RSS phase after %g s of running (default 2, 0 skips it)\n"
        "  --ping-cpu, --pong-cpu  pin ping and pong to CPUs (0, 0,2, 1-3) in the reference and\n"
        "                 the window alike (default: not pinned, as users run it)\n"
        "  --profile      GUI-thread time per event receiver during the measured phase\n"
        "  --overload-tasks, --overload-seconds  the overload phase (default 1000 tasks of 20 us per\n"
        "                 1 ms for 10 s; 0 tasks skips it)\n"
        "  --measured-nice  nice value of the window's measured threads (default %d, the window's;\n"
        "                 0 puts them at the GUI thread's priority, as before it had one)\n"
        "  --normal-drawing  draw at normal priority where the window would draw idle (idle_drawing.h):\n"
        "                 the comparison that says what idle drawing gives\n"
        "  --paused       the window phases with the view paused (nothing drawn): what the window costs\n"
        "                 the measurement apart from its drawing (redraws are then not a figure)\n"
        "  --time-window  seconds the percentiles over time show (default 10; the window's is 60):\n"
        "                 each window phase starts once its run is past them, so the time axis moves\n"
        "Real figures: xvfb-run -a -s \"-screen 0 1600x1000x24\" bench_window\n",
        kWarmRssAfterS, SessionBridge::kMeasuredNice);
    std::exit(code);
}

inline Options parseOptions(const QStringList& args) {
    Options o;
    for (qsizetype i = 1; i < args.size(); ++i) {
        QString name = args[i], value;
        if (name == QLatin1String("-h") || name == QLatin1String("--help"))
            usage(0);
        if (name == QLatin1String("--profile")) {
            o.profile = true;
            continue;
        }
        if (name == QLatin1String("--normal-drawing")) {
            o.normalDrawing = true;
            continue;
        }
        if (name == QLatin1String("--paused")) {
            o.paused = true;
            continue;
        }
        // Qt's own options with a value (the command line is read before QApplication takes them).
        if ((name == QLatin1String("-platform") || name == QLatin1String("-display")) &&
            i + 1 < args.size()) {
            ++i;
            continue;
        }
        if (const qsizetype eq = name.indexOf(QLatin1Char('=')); eq >= 0) {
            value = name.mid(eq + 1);
            name.truncate(eq);
        } else if (i + 1 < args.size()) {
            value = args[++i];
        } else {
            std::fprintf(stderr, "%s needs a value\n", qPrintable(name));
            usage(2);
        }
        bool ok = true;
        if (name == QLatin1String("--duration")) {
            o.duration = value.toDouble(&ok);
            ok = ok && o.duration > 0;
        } else if (name == QLatin1String("--time-window")) {
            o.timeWindow = value.toDouble(&ok);
            ok = ok && o.timeWindow > 0 && o.timeWindow <= 3600;
        } else if (name == QLatin1String("--rss-minutes")) {
            o.rssMinutes = value.toDouble(&ok);
            ok = ok && o.rssMinutes >= 0;
        } else if (name == QLatin1String("--transport")) {
            o.transport = value;
            try {
                le::parse_transport(value.toStdString());
            } catch (const std::exception&) {
                ok = false;
            }
        } else if (name == QLatin1String("--engine")) {
            o.engine = value;
            try {
                le::parse_engine(value.toStdString());
            } catch (const std::exception&) {
                ok = false;
            }
        } else if (name == QLatin1String("--ping-cpu")) {
            o.pingCpus = value;
        } else if (name == QLatin1String("--pong-cpu")) {
            o.pongCpus = value;
        } else if (name == QLatin1String("--measured-nice")) {
            o.measuredNice = value.toInt(&ok);
            ok = ok && o.measuredNice >= 0 && o.measuredNice <= 19;
        } else if (name == QLatin1String("--pairs")) {
            o.pairs = value.toInt(&ok);
            ok = ok && o.pairs >= 1 && o.pairs <= 20;
        } else if (name == QLatin1String("--toggle-cycles")) {
            o.toggleCycles = value.toInt(&ok);
            ok = ok && o.toggleCycles >= 0;
        } else if (name == QLatin1String("--overload-tasks")) {
            o.overloadTasks = value.toInt(&ok);
            ok = ok && o.overloadTasks >= 0;
        } else if (name == QLatin1String("--overload-seconds")) {
            o.overloadSeconds = value.toDouble(&ok);
            ok = ok && o.overloadSeconds > 0;
        } else if (name == QLatin1String("--ping")) {
            o.ping = value;
        } else {
            std::fprintf(stderr, "unknown option %s\n", qPrintable(name));
            usage(2);
        }
        if (!ok) {
            std::fprintf(stderr, "bad value for %s: '%s'\n", qPrintable(name), qPrintable(value));
            usage(2);
        }
    }
    return o;
}

} // namespace bench_window
