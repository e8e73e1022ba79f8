// latency-explorer: the window. Scripted modes (--screenshot, --open/--export) make it usable in
// reports and CI as well as interactively.
#include "cpu_affinity.h"
#include "kernel_split.h"
#include "main_window.h"
#include "ping_config.h"
#include "pong_process.h"
#include "record_format.h"
#include "run_export.h"
#include "session_bridge.h"
#include "sweep_result.h"
#include "sweep_tab.h"
#include "units.h"

#include <QApplication>

#include <QCommandLineParser>
#include <QFile>
#include <QTabWidget>
#include <QTimer>
#include <string_view>

#include <cstdio>

namespace {

[[noreturn]] void usageError(const QString& message) {
    std::fprintf(stderr, "latency-explorer: error: %s\nRun 'latency-explorer --help' for usage.\n",
                 qPrintable(message));
    std::exit(2);
}

template <class Parse> void check(const QCommandLineParser& p, const QString& name, Parse parse) {
    if (!p.isSet(name))
        return;
    try {
        parse(p.value(name).toStdString());
    } catch (const std::exception& e) {
        usageError(QStringLiteral("--%1: %2").arg(name, QString::fromStdString(e.what())));
    }
}

void printSummary(const le::RunHistory& run) {
    // The whole run's, across the restarts it may have had (a session's own covers only itself).
    if (run.summary() || !run.intervals().empty())
        std::fputs(le::format_text_summary(le::whole_run_summary(run)).c_str(), stdout);
    std::fputs("\n", stdout);
    std::fflush(stdout);
}

// --help, --version and --export need no screen: without a display they would otherwise die in
// the xcb plugin before a word of help is printed.
void useOffscreenWhenNoDisplayIsNeeded(int argc, char** argv) {
    if (qEnvironmentVariableIsSet("QT_QPA_PLATFORM") || qEnvironmentVariableIsSet("DISPLAY") ||
        qEnvironmentVariableIsSet("WAYLAND_DISPLAY"))
        return;
    for (int i = 1; i < argc; ++i) {
        const std::string_view a = argv[i];
        if (a == "-platform")
            return;
        if (a == "-h" || a == "--help" || a == "-v" || a == "--version" || a == "--export" ||
            a.starts_with("--export=")) {
            qputenv("QT_QPA_PLATFORM", "offscreen");
            return;
        }
    }
}

} // namespace

int main(int argc, char** argv) {
    useOffscreenWhenNoDisplayIsNeeded(argc, argv);
    QApplication app(argc, argv);
    QApplication::setApplicationName(QStringLiteral("latency-explorer"));
    QApplication::setOrganizationName(QStringLiteral("latency-explorer"));
    QApplication::setApplicationVersion(QStringLiteral(LE_APP_VERSION));

    QCommandLineParser p;
    p.setApplicationDescription(
        QStringLiteral("Round-trip latency, live: a ping-pong benchmark you can steer while it runs."));
    p.addHelpOption();
    p.addVersionOption();
    p.addOptions({
        {"peer", "Measure against an existing echo peer: tcp://HOST:PORT, udp://HOST:PORT, unix:///path.",
         "URL"},
        {"in-process", "Run the pong inside this process instead of a latency-pong child."},
        {"open-loop", "Send on schedule with many messages in flight (default: closed loop, one in flight)."},
        {"transport", "Transport of the local pong: tcp, udp or unix.", "T"},
        {"engine",
         QStringLiteral("Engine of both sides: %1.")
             .arg(QString::fromUtf8(le::engine_names().data(), qsizetype(le::engine_names().size()))),
         "E"},
        {"rate", "Messages per second (1 … 1M, 10k, inf).", "R"},
        {"payload", "Message size (8 B … 1 MiB: 64, 1KiB).", "S"},
        {"tasks", "CPU-bound compute tasks sharing the ping's engine.", "N"},
        {"burst", "Round trips sent back-to-back per tick; first and rest shown apart.", "K"},
        {"kernel-timestamps",
         QStringLiteral("Split each round trip by the kernel's timestamps into send, wire and wake, shown "
                        "beside the curves (one extra system call per round trip). Works with: %1.")
             .arg(QString::fromUtf8(le::kKernelSplitSupport.data(),
                                    qsizetype(le::kKernelSplitSupport.size())))},
        {"cpu", "Pin the ping's data path and tasks to CPUs (0, 0,2, 1-3). Default: not pinned.", "LIST"},
        {"pong-cpu", "Pin the local pong to CPUs. Default: not pinned.", "LIST"},
        {"screenshot",
         "After --after, save the whole window to FILE (png, jpg, pdf, svg), print a summary and quit.",
         "FILE"},
        {"after", "Delay before --screenshot (default 5s).", "DUR", "5s"},
        {"plot-data",
         "With --screenshot: also write one CSV per plot (curves, histogram, distribution) as drawn to DIR.",
         "DIR"},
        {"open",
         "Open a saved session or HdrHistogram interval log (.hlog; a run per tag), shown as overlays, or a "
         "sweep (.csv/.json, on the Sweep tab).",
         "FILE"},
        {"export",
         "With --open: render the plots (a sweep: its figure; .csv/.json: its table) to IMAGE and quit; "
         "FILE.hlog writes the opened run as an interval log.",
         "IMAGE"},
    });
    // Not process(): it exits with 1 on a bad option, where the other programs say 2 (usage).
    if (!p.parse(app.arguments()))
        usageError(p.errorText());
    if (p.isSet(QStringLiteral("help")))
        p.showHelp(0);
    if (p.isSet(QStringLiteral("version")))
        p.showVersion();
    if (!p.positionalArguments().isEmpty())
        usageError(QStringLiteral("unexpected argument '%1'").arg(p.positionalArguments().first()));

    WindowOptions options;
    check(p, "peer", [&](const std::string& s) { options.peer = le::parse_endpoint(s); });
    check(p, "transport", [&](const std::string& s) { options.transport = le::parse_transport(s); });
    check(p, "engine", [&](const std::string& s) { options.engine = le::parse_engine(s); });
    check(p, "rate", [&](const std::string& s) {
        le::parse_rate(s);
        options.rate = QString::fromStdString(s);
    });
    check(p, "payload", [&](const std::string& s) {
        le::check_payload(le::parse_size(s), options.transport.value_or(le::Transport::Tcp));
        options.payload = QString::fromStdString(s);
    });
    check(p, "tasks", [&](const std::string& s) {
        const le::EngineKind engine = options.engine.value_or(le::EngineKind::Blocking);
        if (le::parse_count(s) > le::max_tasks(engine))
            throw std::invalid_argument("at most " + std::to_string(le::max_tasks(engine)) +
                                        " tasks with the " + std::string(le::to_string(engine)) + " engine");
        options.tasks = QString::fromStdString(s);
    });
    check(p, "burst", [&](const std::string& s) {
        const long long k = le::parse_count(s);
        if (k < 1 || k > le::kMaxBurst)
            throw std::invalid_argument("burst must be from 1 to 1000");
        options.burst = int(k);
    });
    check(p, "cpu", [&](const std::string& s) {
        le::parse_cpu_list(s);
        options.pingCpus = QString::fromStdString(s);
    });
    check(p, "pong-cpu", [&](const std::string& s) {
        le::parse_cpu_list(s);
        options.pongCpus = QString::fromStdString(s);
    });
    le::Nanos after = 0;
    check(p, "after", [&](const std::string& s) { after = le::parse_duration(s); });
    options.inProcess = p.isSet("in-process");
    if (p.isSet("open-loop"))
        options.openLoop = true;
    if (p.isSet("kernel-timestamps"))
        options.kernelTimestamps = true;
    if (p.isSet("plot-data") && !p.isSet("screenshot"))
        usageError(QStringLiteral("--plot-data needs --screenshot FILE"));
    if (p.isSet("export") && !p.isSet("open"))
        usageError(QStringLiteral("--export needs --open FILE"));
    options.autoStart = !p.isSet("open");

    MainWindow window(options);
    window.show();

    if (p.isSet("open") && le::is_sweep_file(p.value("open").toStdString())) {
        SweepTab* sweep = window.sweepTab();
        window.tabs()->setCurrentWidget(sweep);
        if (const QString e = sweep->openSweep(p.value("open")); !e.isEmpty()) {
            std::fprintf(stderr, "latency-explorer: %s\n", qPrintable(e));
            return 1;
        }
        if (p.isSet("export")) {
            const QString out = p.value("export");
            const bool table = out.endsWith(QLatin1String(".csv"), Qt::CaseInsensitive) ||
                               out.endsWith(QLatin1String(".json"), Qt::CaseInsensitive);
            const QString e = table ? sweep->exportTable(out) : sweep->exportFigure(out);
            if (!e.isEmpty()) {
                std::fprintf(stderr, "latency-explorer: %s\n", qPrintable(e));
                return 1;
            }
            std::printf("wrote %s\n", qPrintable(out));
            return 0;
        }
    } else if (p.isSet("open")) {
        if (const QString e = window.openSession(p.value("open")); !e.isEmpty()) {
            std::fprintf(stderr, "latency-explorer: %s\n", qPrintable(e));
            return 1;
        }
        if (p.isSet("export")) {
            const QString out = p.value("export");
            const QString e = out.endsWith(QLatin1String(".hlog"), Qt::CaseInsensitive)
                                  ? window.exportIntervalLog(out, window.openedRunNames().value(0))
                                  : window.exportWindow(out);
            if (!e.isEmpty()) {
                std::fprintf(stderr, "latency-explorer: %s\n", qPrintable(e));
                return 1;
            }
            std::printf("wrote %s\n", qPrintable(p.value("export")));
            return 0;
        }
    }

    if (p.isSet("screenshot")) {
        const QString file = p.value("screenshot");
        const QString plotData = p.value("plot-data");
        QTimer::singleShot(int(after / le::kNanosPerMilli), &window, [&window, file, plotData] {
            QString error = window.screenshot(file);
            if (error.isEmpty() && !plotData.isEmpty()) {
                error = window.exportPlotData(plotData);
                if (error.isEmpty())
                    std::printf("wrote plot data to %s\n", qPrintable(plotData));
            }
            if (!error.isEmpty())
                std::fprintf(stderr, "latency-explorer: %s\n", qPrintable(error));
            else
                std::printf("wrote %s\n", qPrintable(file));
            const bool lost = window.bridge()->state() == SessionBridge::State::Lost ||
                              window.bridge()->state() == SessionBridge::State::Error;
            if (lost)
                std::fprintf(stderr, "latency-explorer: %s: %s\n", qPrintable(window.bridge()->stateText()),
                             qPrintable(window.bridge()->reason()));
            // Stop, and print the run's summary once the core has drained and handed it over.
            window.stopMeasuring();
            auto* poll = new QTimer(&window);
            const le::Nanos give_up = le::now_ns() + 3 * le::kNanosPerSecond;
            QObject::connect(poll, &QTimer::timeout, &window, [&window, error, lost, give_up] {
                const auto state = window.bridge()->state();
                if (state != SessionBridge::State::Idle && state != SessionBridge::State::Lost &&
                    state != SessionBridge::State::Error && le::now_ns() < give_up)
                    return;
                printSummary(*window.bridge()->history());
                QFile::remove(MainWindow::recoveryPath()); // a scripted run is not a run to recover
                QApplication::exit(error.isEmpty() && !lost ? 0 : 1);
            });
            poll->start(20);
        });
    }
    return app.exec();
}
