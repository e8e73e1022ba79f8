#include "main_window.h"

#include "qt_string.h"

#include "agents_panel.h"
#include "compare_dialog.h"
#include "controls_panel.h"
#include "distribution_plot.h"
#include "histogram_plot.h"
#include "overlay_runs.h"
#include "peer_panel.h"
#include "percentile_plot.h"
#include "pong_process.h"
#include "split_plot.h"
#include "status_readout.h"
#include "sweep_tab.h"
#include "units.h"

#include <QActionGroup>
#include <QCloseEvent>
#include <QDockWidget>
#include <QMessageBox>
#include <QScrollArea>
#include <QSplitter>
#include <QStatusBar>
#include <QStyle>
#include <QTabWidget>
#include <QVBoxLayout>

MainWindow::MainWindow(const WindowOptions& options, QWidget* parent)
    : QMainWindow(parent)
    , m_bridge(new SessionBridge(this))
    , m_pong(new PongProcess(this))
    , m_overlays(new OverlayRuns(this))
    , m_peer(new PeerPanel)
    , m_agentsPanel(new AgentsPanel)
    , m_controls(new ControlsPanel)
    , m_dashboard(new QWidget(this))
    , m_tabs(new QTabWidget(this))
    , m_sweepTab(new SweepTab)
    , m_histogram(new HistogramPlot)
    , m_percentiles(new PercentilePlot)
    , m_distribution(new DistributionPlot)
    , m_split(new SplitPlot) {
    Q_INIT_RESOURCE(resources); // the icons live in this static library
    setWindowTitle(tr("Latency Explorer"));
    setWindowIcon(QIcon(QStringLiteral(":/icons/latency-explorer.svg")));
    // Names for scripts and tests, which find the parts with findChild() instead of accessors.
    m_pong->setObjectName(QStringLiteral("pongProcess"));
    m_overlays->setObjectName(QStringLiteral("overlayRuns"));
    m_peer->setObjectName(QStringLiteral("peerPanel"));
    m_agentsPanel->setObjectName(QStringLiteral("agentsPanel"));
    m_controls->setObjectName(QStringLiteral("controlsPanel"));
    m_dashboard->setObjectName(QStringLiteral("dashboard"));
    m_tabs->setObjectName(QStringLiteral("tabs"));
    m_sweepTab->setObjectName(QStringLiteral("sweepTab"));
    m_histogram->setObjectName(QStringLiteral("histogramPlot"));
    m_percentiles->setObjectName(QStringLiteral("percentilePlot"));
    m_distribution->setObjectName(QStringLiteral("distributionPlot"));
    m_split->setObjectName(QStringLiteral("splitPlot"));

    buildDashboard();
    buildDocks();
    buildActions();
    m_readout = new StatusReadout(statusBar(), this);
    connectPanels();

    startRedrawTimer();

    loadSettings(options);
    setUpOverloadGuard(options.tasks.has_value());
    setUpRecovery();
    keepMemoryBounded();
    onStateChanged(SessionBridge::State::Idle, {});
    if (options.autoStart)
        QMetaObject::invokeMethod(this, &MainWindow::startMeasuring, Qt::QueuedConnection);
}

MainWindow::~MainWindow() {
    m_bridge->stop();
    m_pong->stop();
    m_agentsPanel->shutdown();
}

void MainWindow::buildDashboard() {
    // Histogram and distribution side by side, percentiles over time below (the split beside them).
    auto* top = new QSplitter(Qt::Horizontal);
    top->addWidget(m_histogram);
    top->addWidget(m_distribution);
    auto* bottom = new QSplitter(Qt::Horizontal);
    bottom->addWidget(m_percentiles);
    buildSplitView(bottom);
    auto* split = new QSplitter(Qt::Vertical);
    split->addWidget(top);
    split->addWidget(bottom);
    split->setStretchFactor(0, 1);
    split->setStretchFactor(1, 1);
    auto* layout = new QVBoxLayout(m_dashboard);
    layout->setContentsMargins(4, 4, 4, 4);
    layout->addWidget(split);
    m_tabs->addTab(m_dashboard, tr("&Live"));
    m_tabs->addTab(m_sweepTab, tr("S&weep"));
    setCentralWidget(m_tabs);
    for (QWidget* p : {static_cast<QWidget*>(m_histogram), static_cast<QWidget*>(m_distribution),
                       static_cast<QWidget*>(m_percentiles)})
        p->setMinimumSize(320, 220);
}

namespace {

// Keeps a panel at least as high as its layout asks (not merely its minimum), so that a scroll area
// scrolls it rather than squeezing its controls when it grows (an error under the rate).
class KeepsItsHeight : public QObject {
public:
    using QObject::QObject;
    bool eventFilter(QObject* watched, QEvent* event) override {
        if (event->type() == QEvent::LayoutRequest || event->type() == QEvent::Resize) {
            // A wrapped label (the rate's error) needs more lines at the dock's width than the
            // size hint guessed: the height for the actual width counts.
            auto* panel = static_cast<QWidget*>(watched);
            const int needed =
                std::max(panel->sizeHint().height(),
                         panel->hasHeightForWidth() ? panel->heightForWidth(panel->width()) : 0);
            if (panel->minimumHeight() != needed)
                panel->setMinimumHeight(needed);
        }
        return false;
    }
};

// A panel in a dock scrolls vertically when the dock is shorter than the panel: the docks share
// the height of the window, and without this the tallest state (an error under the rate, a peer
// lost, the agents' table) either squeezed the panel's controls or pushed the window past a 720-
// pixel screen. The width stays the panel's own.
QScrollArea* scrolling(QWidget* panel) {
    auto* area = new QScrollArea;
    area->setObjectName(panel->objectName() + QStringLiteral("Scroll"));
    area->setWidget(panel);
    area->setWidgetResizable(true);
    panel->installEventFilter(new KeepsItsHeight(panel));
    panel->setMinimumHeight(panel->sizeHint().height());
    area->setFrameShape(QFrame::NoFrame);
    area->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    // Always there, so that the panel keeps its width when it grows past the dock (no squeeze).
    area->setVerticalScrollBarPolicy(Qt::ScrollBarAlwaysOn);
    area->setMinimumWidth(panel->minimumSizeHint().width() +
                          area->style()->pixelMetric(QStyle::PM_ScrollBarExtent));
    return area;
}

} // namespace

void MainWindow::buildDocks() {
    auto* peerDock = new QDockWidget(tr("Peer"), this);
    peerDock->setObjectName(QStringLiteral("peerDock"));
    peerDock->setWidget(m_peer); // short enough for 720 pixels: its own height, no scrolling
    addDockWidget(Qt::LeftDockWidgetArea, peerDock);
    auto* controlsDock = new QDockWidget(tr("Controls"), this);
    controlsDock->setObjectName(QStringLiteral("controlsDock"));
    controlsDock->setWidget(scrolling(m_controls));
    addDockWidget(Qt::LeftDockWidgetArea, controlsDock);
    auto* peersDock = new QDockWidget(tr("Remote Agents"), this);
    peersDock->setObjectName(QStringLiteral("peersDock"));
    peersDock->setWidget(scrolling(m_agentsPanel));
    addDockWidget(Qt::LeftDockWidgetArea, peersDock);
    // Both say where the pong runs; stacked, three docks would not fit an 800-pixel-high window.
    tabifyDockWidget(peerDock, peersDock);
    peerDock->raise();
}

void MainWindow::connectPanels() {
    // A sweep measures on its own: live measuring would disturb it (and it, live measuring).
    // Both restart live measuring as it was when they finish (main_window_exclusive.cpp).
    // The timeline marks where they ran, slice by slice (main_window_exclusive.cpp).
    connect(m_sweepTab, &SweepTab::starting, this,
            [this] { pauseLiveFor(tr("Sweep"), QStringLiteral("sweep")); });
    connect(m_sweepTab, &SweepTab::pointFinished, this, &MainWindow::markSweepPoint);
    connect(m_sweepTab, &SweepTab::finished, this, [this](const QString& text) {
        resumeLive(QStringLiteral("sweep"));
        statusBar()->showMessage(tr("Sweep: %1").arg(text), 10000);
    });
    connect(m_bridge, &SessionBridge::stateChanged, this, &MainWindow::onStateChanged);
    connect(m_bridge, &SessionBridge::changeRefused, this, &MainWindow::showRefusal);
    connect(m_bridge, &SessionBridge::historyChanged, this, [this] { m_dirty = true; });
    connect(m_overlays, &OverlayRuns::changed, this, [this] { m_dirty = true; });
    connect(m_pong, &PongProcess::ready, this, [this](const QString& url) {
        le::PingConfig config = configFromControls();
        config.peer = le::parse_endpoint(url.toStdString());
        config.pong_placement = m_pong->placement().toStdString(); // our own child: read back from it
        config.residence = m_pong->residence(); // with the split on: the child's reports (null: off)
        m_bridge->start(config);
    });
    connect(m_pong, &PongProcess::failed, this,
            [this](const QString& reason) { m_peer->setState(tr("error: %1").arg(reason), false, true); });
    connect(m_pong, &PongProcess::exited, this, [this](const QString& reason) {
        if (m_pendingRestart.isEmpty())
            m_bridge->peerLost(reason);
    });
    connect(m_peer, &PeerPanel::startRequested, this, &MainWindow::startMeasuring);
    connect(m_peer, &PeerPanel::stopRequested, this, &MainWindow::stopMeasuring);
    connect(m_peer, &PeerPanel::engineChanged, this,
            [this] { restartDataPath(QStringLiteral("engine=%1").arg(m_peer->engineBox()->currentText())); });
    connect(m_agentsPanel, &AgentsPanel::measureRequested, this, &MainWindow::measureAgainst);
    connect(m_agentsPanel, &AgentsPanel::agentLost, this,
            [this](AgentConnection* agent, const QString& reason) {
                // The agent's endpoints went with it. The session notices a dead peer by itself too;
                // this also covers a silent one (network cut) as soon as the control channel does.
                const auto& peer = m_bridge->config().peer;
                if (peer && agent->hasEndpoint(*peer))
                    m_bridge->peerLost(tr("agent %1 lost: %2").arg(agent->name(), reason));
            });
    connect(m_controls, &ControlsPanel::changeRequested, this, &MainWindow::onChangeRequested);
    connect(m_controls, &ControlsPanel::loopChanged, this, [this](bool open) {
        restartDataPath(open ? QStringLiteral("loop=open") : QStringLiteral("loop=closed"));
    });
    connect(m_controls, &ControlsPanel::burstChanged, this,
            [this](int burst) { restartDataPath(QStringLiteral("burst=%1").arg(burst)); });
    connect(m_percentiles, &PercentilePlot::autoRangeChanged, this,
            [this](bool on) { m_followAction->setChecked(on); });
    connectSplit();
}

void MainWindow::closeEvent(QCloseEvent* event) {
    if (!confirmQuit()) {
        event->ignore();
        return;
    }
    saveSettings();
    m_bridge->stop();
    m_pong->stop();
    m_agentsPanel->shutdown(); // agents started over ssh stop with the window
    event->accept();
}

le::PingConfig MainWindow::configFromControls() const {
    le::PingConfig c;
    c.transport = m_peer->transport();
    c.engine = m_peer->engine();
    c.rate = le::parse_rate(m_controls->rate()->value().toStdString());
    c.payload = le::parse_size(m_controls->payload()->value().toStdString());
    c.tasks = int(le::parse_count(m_controls->tasks()->value().toStdString()));
    c.task_work = le::parse_duration(m_controls->taskWork()->value().toStdString());
    c.open_loop = m_controls->openLoop();
    c.burst = m_controls->burst();
    c.kernel_timestamps = m_peer->kernelTimestamps();
    c.cpu = m_peer->pingCpus();
    c.pong_cpu = m_peer->pongCpus();
    if (c.open_loop && c.rate == le::kRateInf)
        c.rate = le::kRateMax;     // open loop needs a schedule; back-to-back is a closed-loop notion
    c.rate_ceiling = le::kRateMax; // the rate field may be raised live to anything
    c.warmup = 200 * le::kNanosPerMilli;
    // One record per redraw (30 Hz): the curves move smoothly; the histogram window stays 1 s.
    c.interval = SessionBridge::kRecordInterval;
    c.duration = 0;
    return c;
}

void MainWindow::startMeasuring() {
    le::PingConfig config;
    try {
        config = configFromControls();
        le::validate(config);
    } catch (const std::exception& e) {
        m_peer->setState(tr("error: %1").arg(qs(e.what())), false, true);
        return;
    }
    switch (m_peer->mode()) {
    case PeerPanel::Mode::Child:
        m_peer->setState(tr("starting latency-pong…"), true, false);
        // With the split on, the child reports its residence twice per record (pong_process.h): a
        // report read a little late by a busy GUI thread still leaves one inside the record's interval.
        m_pong->start(config.transport, config.engine, config.pong_cpu, SessionBridge::measuredNice(config),
                      config.kernel_timestamps ? SessionBridge::kRecordInterval / 2
                                               : 0); // ready() starts the bridge
        break;
    case PeerPanel::Mode::InProcess:
        m_bridge->start(config);
        break;
    case PeerPanel::Mode::Existing:
        try {
            config.peer = m_peer->existingPeer();
            le::validate(config);
        } catch (const std::exception& e) {
            m_peer->setState(tr("error: %1").arg(qs(e.what())), false, true);
            return;
        }
        // With the split on, an agent's endpoint that measures its residence gives the peer's side
        // (asked by the agent's connection, off the session's threads); any other peer is a plain echo.
        if (config.kernel_timestamps)
            config.residence = m_agentsPanel->pollResidence(*config.peer);
        m_bridge->start(config);
        break;
    }
}

void MainWindow::stopMeasuring() {
    m_pendingRestart.clear();
    m_pendingPeer.reset();
    m_bridge->stop();
    m_pong->stop();
    if (m_bridge->state() == SessionBridge::State::Idle)
        onStateChanged(SessionBridge::State::Idle, {});
}

void MainWindow::measureAgainst(const le::Endpoint& peer) {
    const auto st = m_bridge->state();
    if (st == SessionBridge::State::Running || st == SessionBridge::State::Starting) {
        m_pendingPeer = peer;
        restartDataPath(QStringLiteral("peer=%1").arg(qs(peer.url())));
        return;
    }
    m_pong->stop();
    m_peer->setMode(PeerPanel::Mode::Existing);
    m_peer->setExistingPeer(peer);
    // From idle too, the timeline says the peer changed where the data resumes.
    if (!m_bridge->history()->empty())
        m_bridge->markChange(QStringLiteral("peer"), qs(peer.url()));
    startMeasuring();
}

void MainWindow::restartDataPath(const QString& change) {
    const auto st = m_bridge->state();
    if (st != SessionBridge::State::Running && st != SessionBridge::State::Starting)
        return;
    m_pendingRestart = change;
    m_bridge->stop(true); // the restart continues when the bridge reports Idle
}

QString MainWindow::briefState(const QString& text) {
    // "peer lost: latency-pong exited with code 0: latency-pong: stopped; 1 connections served, …"
    // -> "peer lost: latency-pong exited with code 0"
    QString brief = text.section(QStringLiteral("; "), 0, 0);
    if (brief.count(QStringLiteral(": ")) > 1)
        brief = brief.section(QStringLiteral(": "), 0, 1);
    return brief;
}

void MainWindow::onStateChanged(SessionBridge::State state, const QString& reason) {
    const bool running = state == SessionBridge::State::Running || state == SessionBridge::State::Starting ||
                         state == SessionBridge::State::Stopping;
    QString text = m_bridge->stateText();
    if (state == SessionBridge::State::Running)
        text = tr("running against %1").arg(m_bridge->peerUrl());
    // A ping starved by its own tasks ended the run, not its peer: the reason says it all. Else no
    // "peer lost: peer lost: …".
    if (!reason.isEmpty())
        text = reason.startsWith(text) || reason.startsWith(QLatin1String("ping overloaded"))
                   ? reason
                   : text + QStringLiteral(": ") + reason;
    // The dock and the status bar get the short form (a pong's exit adds its whole stop report);
    // the whole text and what to do next are in the state's tooltip.
    const QString full = text;
    if (state == SessionBridge::State::Lost || state == SessionBridge::State::Error)
        text = briefState(text);
    if (state == SessionBridge::State::Lost)
        text += tr(" — measured data kept");
    m_peer->setState(text, running,
                     state == SessionBridge::State::Lost || state == SessionBridge::State::Error,
                     state == SessionBridge::State::Lost
                         ? full + QLatin1Char('\n') +
                               tr("Every interval measured so far is kept; press Start to measure again.")
                         : full);
    m_startAction->setEnabled(!running);
    m_stopAction->setEnabled(running);
    updateLiveDrawing();
    if (state == SessionBridge::State::Lost || state == SessionBridge::State::Error)
        statusBar()->showMessage(text, 10000);

    if (!running)
        m_agentsPanel->stopResidence(); // the agent's endpoint is asked no more

    if (state == SessionBridge::State::Idle && !m_pendingRestart.isEmpty()) {
        // Engine or loop mode changed: restart the data path and mark it on the curves.
        const QString why = m_pendingRestart;
        m_pendingRestart.clear();
        m_bridge->markChange(why.section(QLatin1Char('='), 0, 0), why.section(QLatin1Char('='), 1));
        if (m_peer->mode() == PeerPanel::Mode::Child)
            m_pong->stop();
        if (m_pendingPeer) {
            m_peer->setMode(PeerPanel::Mode::Existing);
            m_peer->setExistingPeer(*m_pendingPeer);
            m_pendingPeer.reset();
        }
        startMeasuring();
    }
}

void MainWindow::onChangeRequested(const QString& key, const QString& value) {
    if (m_bridge->state() != SessionBridge::State::Running)
        return; // remembered by the control; used at the next start
    // Tasks from none to some, or back: the run's priority changes (SessionBridge::kMeasuredNice),
    // which only a new data path can take (a thread cannot raise its priority back).
    if (key == QLatin1String("tasks") &&
        (m_bridge->config().tasks > 0) != (le::parse_count(value.toStdString()) > 0)) {
        restartDataPath(QStringLiteral("tasks=%1").arg(value));
        return;
    }
    if (const QString error = m_bridge->apply(key, value); !error.isEmpty()) {
        showRefusal(key, error);
        return;
    }
    statusBar()->showMessage(tr("%1 → %2").arg(key, value), 2000);
}

void MainWindow::showRefusal(const QString& key, const QString& error) {
    if (LogSliderEntry* c = m_controls->control(key))
        c->showError(error);
    statusBar()->showMessage(tr("%1 not changed: %2").arg(key, error), 5000);
}

CompareDialog* MainWindow::compareDialog() {
    if (!m_compare) {
        m_compare = new CompareDialog(this);
        connect(m_compare, &CompareDialog::starting, this, [this] {
            // Two measurements at once would disturb each other.
            pauseLiveFor(tr("A/B comparison"), QStringLiteral("compare"));
        });
        connect(m_compare, &CompareDialog::sliceMeasured, this,
                [this](const QString& variant, double seconds) {
                    m_bridge->mark(QStringLiteral("compare slice"), tr("compare: %1").arg(variant),
                                   std::max(0.0, m_bridge->elapsedSeconds() - seconds));
                });
        connect(m_compare, &CompareDialog::finished, this, [this] {
            resumeLive(QStringLiteral("compare"));
            statusBar()->showMessage(tr("A/B comparison finished"), 5000);
        });
        m_compare->setObjectName(QStringLiteral("compareDialog"));
        connect(m_compare, &CompareDialog::runsChanged, m_overlays, &OverlayRuns::setComparison);
    }
    try {
        m_compare->setBase(configFromControls());
    } catch (const std::exception&) {
        m_compare->setBase(le::PingConfig{}); // the controls hold a bad value: compare at the defaults
    }
    return m_compare;
}

void MainWindow::addNote(const QString& text) {
    m_bridge->addNote(text, m_bridge->elapsedSeconds());
    m_dirty = true;
}

void MainWindow::setWindowSeconds(double seconds) {
    m_bridge->setWindowSeconds(seconds);
    for (QAction* a : m_windowActions->actions())
        a->setChecked(a->data().toDouble() == m_bridge->windowSeconds());
    m_dirty = true;
}

void MainWindow::setPaused(bool paused) {
    m_paused = paused;
    updateLiveDrawing();
    if (m_pauseAction->isChecked() != paused)
        m_pauseAction->setChecked(paused);
    // Resuming clears only our own note. (Not showMessage("", 1): with no message left to clear, as
    // when another message had replaced the note and expired, QStatusBar's 1 ms timer then never
    // stops, and woke the GUI thread a thousand times a second for the rest of the session.)
    const QString note = tr("View paused; measuring goes on");
    if (paused)
        statusBar()->showMessage(note);
    else if (statusBar()->currentMessage() == note)
        statusBar()->clearMessage();
}

void MainWindow::showError(const QString& title, const QString& text) {
    statusBar()->showMessage(text, 8000);
    if (QGuiApplication::platformName() != QLatin1String("offscreen"))
        QMessageBox::warning(this, title, text);
}
