#include "main_window.h"

#include "qt_string.h"

#include "agents_panel.h"
#include "compare_dialog.h"
#include "controls_panel.h"
#include "distribution_plot.h"
#include "histogram_plot.h"
#include "peer_panel.h"
#include "percentile_plot.h"
#include "plot_export.h"
#include "pong_process.h"
#include "record_format.h"
#include "session_file.h"
#include "sweep_tab.h"
#include "units.h"

#include <QActionGroup>
#include <QApplication>
#include <QCloseEvent>
#include <QDockWidget>
#include <QFile>
#include <QFileDialog>
#include <QFileInfo>
#include <QInputDialog>
#include <QLabel>
#include <QMenuBar>
#include <QMessageBox>
#include <QSettings>
#include <QSplitter>
#include <QStatusBar>
#include <QTabWidget>
#include <QToolBar>
#include <QVBoxLayout>

#include <fstream>

namespace {} // namespace

MainWindow::MainWindow(const WindowOptions& options, QWidget* parent)
    : QMainWindow(parent)
    , m_bridge(new SessionBridge(this))
    , m_pong(new PongProcess(this))
    , m_peer(new PeerPanel)
    , m_agentsPanel(new AgentsPanel)
    , m_controls(new ControlsPanel)
    , m_dashboard(new QWidget(this))
    , m_tabs(new QTabWidget(this))
    , m_sweepTab(new SweepTab)
    , m_histogram(new HistogramPlot)
    , m_percentiles(new PercentilePlot)
    , m_distribution(new DistributionPlot)
    , m_rateLabel(new QLabel(this))
    , m_throughputLabel(new QLabel(this))
    , m_countsLabel(new QLabel(this))
    , m_percentilesLabel(new QLabel(this))
    , m_cpuLabel(new QLabel(this))
    , m_elapsedLabel(new QLabel(this)) {
    Q_INIT_RESOURCE(resources); // the icons live in this static library
    setWindowTitle(tr("Latency Explorer"));
    setWindowIcon(QIcon(QStringLiteral(":/icons/latency-explorer.svg")));

    // Dashboard: histogram and distribution side by side, percentiles over time below.
    auto* top = new QSplitter(Qt::Horizontal);
    top->addWidget(m_histogram);
    top->addWidget(m_distribution);
    auto* split = new QSplitter(Qt::Vertical);
    split->addWidget(top);
    split->addWidget(m_percentiles);
    split->setStretchFactor(0, 1);
    split->setStretchFactor(1, 1);
    auto* layout = new QVBoxLayout(m_dashboard);
    layout->setContentsMargins(4, 4, 4, 4);
    layout->addWidget(split);
    m_tabs->addTab(m_dashboard, tr("&Live"));
    m_tabs->addTab(m_sweepTab, tr("S&weep"));
    setCentralWidget(m_tabs);
    // A sweep measures on its own: live measuring would disturb it (and it, live measuring).
    connect(m_sweepTab, &SweepTab::starting, this, &MainWindow::stopMeasuring);
    connect(m_sweepTab, &SweepTab::finished, this,
            [this](const QString& text) { statusBar()->showMessage(tr("Sweep: %1").arg(text), 10000); });
    for (QWidget* p : {static_cast<QWidget*>(m_histogram), static_cast<QWidget*>(m_distribution),
                       static_cast<QWidget*>(m_percentiles)})
        p->setMinimumSize(320, 220);

    buildDocks();
    buildActions();
    for (QLabel* l :
         {m_rateLabel, m_throughputLabel, m_countsLabel, m_percentilesLabel, m_cpuLabel, m_elapsedLabel})
        statusBar()->addPermanentWidget(l);
    m_rateLabel->setToolTip(tr("Achieved send rate / target rate"));
    m_throughputLabel->setToolTip(tr("Payload throughput, each direction"));
    m_cpuLabel->setToolTip(
        tr("CPU time of this process per wall second (100% = one core), and where the ping "
           "and the pong run. With the in-process pong, the pong's share is included."));

    connect(m_bridge, &SessionBridge::stateChanged, this, &MainWindow::onStateChanged);
    connect(m_bridge, &SessionBridge::historyChanged, this, [this] { m_dirty = true; });
    connect(m_pong, &PongProcess::ready, this, [this](const QString& url) {
        le::PingConfig config = configFromControls();
        config.peer = le::parse_endpoint(url.toStdString());
        config.pong_placement_known = true; // our own child, started with config.pong_cpu
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

    // One redraw timer for every plot (<= 30 Hz); nothing redraws per record.
    m_redraw.setInterval(1000 / 30);
    connect(&m_redraw, &QTimer::timeout, this, [this] {
        updateStatus();
        if (m_dirty && !m_paused)
            refreshPlots(false);
    });
    m_redraw.start();

    loadSettings(options);
    onStateChanged(SessionBridge::State::Idle, {});
    if (options.autoStart)
        QMetaObject::invokeMethod(this, &MainWindow::startMeasuring, Qt::QueuedConnection);
}

MainWindow::~MainWindow() {
    m_bridge->stop();
    m_pong->stop();
    m_agentsPanel->shutdown();
}

void MainWindow::buildDocks() {
    auto* peerDock = new QDockWidget(tr("Peer"), this);
    peerDock->setObjectName(QStringLiteral("peerDock"));
    peerDock->setWidget(m_peer);
    addDockWidget(Qt::LeftDockWidgetArea, peerDock);
    auto* controlsDock = new QDockWidget(tr("Controls"), this);
    controlsDock->setObjectName(QStringLiteral("controlsDock"));
    controlsDock->setWidget(m_controls);
    addDockWidget(Qt::LeftDockWidgetArea, controlsDock);
    auto* peersDock = new QDockWidget(tr("Remote Agents"), this);
    peersDock->setObjectName(QStringLiteral("peersDock"));
    peersDock->setWidget(m_agentsPanel);
    addDockWidget(Qt::LeftDockWidgetArea, peersDock);
    // Both say where the pong runs; stacked, three docks would not fit an 800-pixel-high window.
    tabifyDockWidget(peerDock, peersDock);
    peerDock->raise();
}

void MainWindow::buildActions() {
    QMenu* file = menuBar()->addMenu(tr("&File"));
    file->addAction(
        QIcon::fromTheme("document-open"), tr("&Open Session as Overlay…"), QKeySequence::Open, this, [this] {
            const QString path =
                QFileDialog::getOpenFileName(this, tr("Open session"), {}, tr("Sessions (*.json)"));
            if (path.isEmpty())
                return;
            if (const QString e = openSession(path); !e.isEmpty())
                showError(tr("Open session"), e);
        });
    file->addAction(QIcon::fromTheme("document-save"), tr("&Save Run…"), QKeySequence::Save, this, [this] {
        const QString path = QFileDialog::getSaveFileName(this, tr("Save run"), QStringLiteral("run.json"),
                                                          tr("Sessions (*.json)"));
        if (path.isEmpty())
            return;
        if (const QString e = saveSession(path); !e.isEmpty())
            showError(tr("Save run"), e);
    });
    QMenu* exportMenu = file->addMenu(tr("&Export"));
    exportMenu->addAction(tr("&Window Image…"), QKeySequence(tr("Ctrl+E")), this, [this] {
        const QString path = QFileDialog::getSaveFileName(
            this, tr("Export window"), QStringLiteral("latency.png"), tr("Images (*.png *.jpg *.pdf *.svg)"));
        if (path.isEmpty())
            return;
        if (const QString e = exportWindow(path); !e.isEmpty())
            showError(tr("Export"), e);
    });
    exportMenu->addAction(tr("&Histogram…"), this, [this] { exportPlotDialog(m_histogram, "histogram"); });
    exportMenu->addAction(tr("&Percentiles over Time…"), this,
                          [this] { exportPlotDialog(m_percentiles, "percentiles"); });
    exportMenu->addAction(tr("Percentile &Distribution…"), this,
                          [this] { exportPlotDialog(m_distribution, "distribution"); });
    exportMenu->addAction(tr("&Dashboard…"), this, [this] { exportPlotDialog(m_dashboard, "dashboard"); });
    exportMenu->addSeparator();
    exportMenu->addAction(tr("Interval &Records (CSV/JSON)…"), this, [this] {
        const QString path = QFileDialog::getSaveFileName(
            this, tr("Export records"), QStringLiteral("records.csv"), tr("Records (*.csv *.json)"));
        if (path.isEmpty())
            return;
        if (const QString e = exportRecords(path); !e.isEmpty())
            showError(tr("Export records"), e);
    });
    file->addAction(QIcon::fromTheme("edit-copy"), tr("&Copy Dashboard Image"), QKeySequence::Copy, this,
                    [this] {
                        refreshPlots(true);
                        PlotExport::copyToClipboard(m_dashboard);
                        statusBar()->showMessage(tr("Dashboard copied to the clipboard"), 3000);
                    });
    file->addSeparator();
    file->addAction(QIcon::fromTheme("application-exit"), tr("&Quit"), QKeySequence::Quit, this,
                    &QWidget::close);

    QMenu* run = menuBar()->addMenu(tr("&Run"));
    m_startAction = run->addAction(QIcon::fromTheme("media-playback-start"), tr("&Start"),
                                   QKeySequence(tr("F5")), this, &MainWindow::startMeasuring);
    m_stopAction = run->addAction(QIcon::fromTheme("media-playback-stop"), tr("S&top"),
                                  QKeySequence(tr("Shift+F5")), this, &MainWindow::stopMeasuring);
    run->addAction(tr("&Compare Configurations (A/B)…"), QKeySequence(tr("Ctrl+K")), this, [this] {
        CompareDialog* d = compareDialog();
        d->show();
        d->raise();
    });
    run->addAction(tr("&New Run (clear history)"), this, [this] {
        m_bridge->clearHistory();
        m_dirty = true;
    });

    QMenu* view = menuBar()->addMenu(tr("&View"));
    m_pauseAction = view->addAction(QIcon::fromTheme("media-playback-pause"), tr("&Pause View"));
    m_pauseAction->setCheckable(true);
    m_pauseAction->setShortcut(QKeySequence(tr("Space")));
    m_pauseAction->setToolTip(tr("Freeze the plots; measuring goes on"));
    connect(m_pauseAction, &QAction::toggled, this, &MainWindow::setPaused);
    m_wholeRunAction = view->addAction(tr("&Whole Run Histogram"));
    m_wholeRunAction->setCheckable(true);
    m_wholeRunAction->setToolTip(
        tr("Histogram and distribution of the whole run instead of the last second"));
    connect(m_wholeRunAction, &QAction::toggled, this, [this](bool whole) {
        m_histogram->setWholeRun(whole);
        m_distribution->setWholeRun(whole);
        m_dirty = true;
    });
    QMenu* window = view->addMenu(tr("&Time Window"));
    auto* group = new QActionGroup(window);
    for (auto [label, seconds] : {std::pair{tr("10 s"), 10.0},
                                  {tr("60 s"), 60.0},
                                  {tr("5 min"), 300.0},
                                  {tr("∞ (whole run)"), 0.0}}) {
        QAction* a = window->addAction(label);
        a->setCheckable(true);
        a->setChecked(seconds == 60.0);
        group->addAction(a);
        connect(a, &QAction::triggered, this, [this, seconds = seconds] {
            m_percentiles->setTimeWindow(seconds);
            m_dirty = true;
        });
    }
    m_percentiles->setTimeWindow(60.0);
    m_followAction = view->addAction(tr("Auto-&Follow"));
    m_followAction->setCheckable(true);
    m_followAction->setChecked(true);
    connect(m_followAction, &QAction::toggled, this, [this](bool on) {
        m_percentiles->setAutoRange(on);
        m_dirty = true;
    });
    view->addAction(QIcon::fromTheme("zoom-original"), tr("&Reset Axes"), QKeySequence(tr("Ctrl+0")), this,
                    [this] {
                        m_histogram->resetAxes();
                        m_percentiles->resetAxes();
                        m_distribution->resetAxes();
                        m_followAction->setChecked(true);
                        m_dirty = true;
                    });
    view->addAction(findChild<QDockWidget*>(QStringLiteral("peersDock"))->toggleViewAction());
    view->addAction(tr("&Clear Overlays"), this, [this] {
        m_overlays.clear();
        m_comparison.clear();
        m_dirty = true;
    });

    QMenu* help = menuBar()->addMenu(tr("&Help"));
    help->addAction(tr("&About"), this, [this] {
        QMessageBox::about(this, tr("About Latency Explorer"),
                           tr("<b>Latency Explorer</b><p>Round-trip latency, live: change rate, payload and "
                              "compute tasks while it measures, and watch HDR histograms and percentiles "
                              "answer.</p>"));
    });

    QToolBar* bar = addToolBar(tr("Main"));
    bar->setObjectName(QStringLiteral("mainToolBar"));
    bar->addAction(m_startAction);
    bar->addAction(m_stopAction);
    bar->addAction(m_pauseAction);
    bar->addAction(m_wholeRunAction);
    bar->addAction(m_followAction);
    m_startAction->setToolTip(tr("Start measuring (F5)"));
    m_stopAction->setToolTip(tr("Stop measuring; everything measured stays on screen (Shift+F5)"));
}

void MainWindow::loadSettings(const WindowOptions& o) {
    QSettings s;
    restoreGeometry(s.value("window/geometry").toByteArray());
    restoreState(s.value("window/state").toByteArray());
    if (!s.contains("window/geometry"))
        resize(1280, 800);
    m_peer->setMode(PeerPanel::Mode(s.value("peer/mode", 0).toInt()));
    m_peer->transportBox()->setCurrentIndex(s.value("peer/transport", 0).toInt());
    m_peer->engineBox()->setCurrentIndex(s.value("peer/engine", 0).toInt());
    m_controls->rate()->setValue(s.value("controls/rate", "1k").toString());
    m_controls->payload()->setValue(s.value("controls/payload", "64B").toString());
    m_controls->tasks()->setValue(s.value("controls/tasks", "0").toString());
    m_controls->taskWork()->setValue(s.value("controls/task-work", "20us").toString());
    m_controls->loop()->setCurrentIndex(s.value("controls/loop", 0).toInt());
    // The command line wins over remembered settings.
    if (o.peer) {
        m_peer->setMode(PeerPanel::Mode::Existing);
        m_peer->setExistingPeer(*o.peer);
    } else if (o.inProcess) {
        m_peer->setMode(PeerPanel::Mode::InProcess);
    } else if (o.transport || o.engine) {
        m_peer->setMode(PeerPanel::Mode::Child);
    }
    if (o.transport)
        m_peer->setTransport(*o.transport);
    if (o.engine)
        m_peer->setEngine(*o.engine);
    if (o.rate)
        m_controls->rate()->setValue(*o.rate);
    if (o.payload)
        m_controls->payload()->setValue(*o.payload);
    if (o.tasks)
        m_controls->tasks()->setValue(*o.tasks);
    if (o.burst) {
        const QSignalBlocker quiet(m_controls->burstBox());
        m_controls->burstBox()->setValue(*o.burst);
    }
    if (o.pingCpus)
        m_peer->pingCpusEdit()->setText(*o.pingCpus);
    if (o.pongCpus)
        m_peer->pongCpusEdit()->setText(*o.pongCpus);
}

void MainWindow::saveSettings() const {
    QSettings s;
    s.setValue("window/geometry", saveGeometry());
    s.setValue("window/state", saveState());
    s.setValue("peer/mode", int(m_peer->mode()));
    s.setValue("peer/transport", m_peer->transportBox()->currentIndex());
    s.setValue("peer/engine", m_peer->engineBox()->currentIndex());
    s.setValue("controls/rate", m_controls->rate()->value());
    s.setValue("controls/payload", m_controls->payload()->value());
    s.setValue("controls/tasks", m_controls->tasks()->value());
    s.setValue("controls/task-work", m_controls->taskWork()->value());
    s.setValue("controls/loop", m_controls->loop()->currentIndex());
}

void MainWindow::closeEvent(QCloseEvent* event) {
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
    c.cpu = m_peer->pingCpus();
    c.pong_cpu = m_peer->pongCpus();
    if (c.open_loop && c.rate == le::kRateInf)
        c.rate = le::kRateMax; // open loop needs a schedule; back-to-back is a closed-loop notion
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
        m_pong->start(config.transport, config.engine, config.pong_cpu); // ready() starts the bridge
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
    startMeasuring();
}

void MainWindow::restartDataPath(const QString& change) {
    const auto st = m_bridge->state();
    if (st != SessionBridge::State::Running && st != SessionBridge::State::Starting)
        return;
    m_pendingRestart = change;
    m_bridge->stop(); // the restart continues when the bridge reports Idle
}

void MainWindow::onStateChanged(SessionBridge::State state, const QString& reason) {
    const bool running = state == SessionBridge::State::Running || state == SessionBridge::State::Starting ||
                         state == SessionBridge::State::Stopping;
    QString text = m_bridge->stateText();
    if (state == SessionBridge::State::Running)
        text = tr("running against %1").arg(m_bridge->peerUrl());
    if (!reason.isEmpty())
        text = reason.startsWith(text) ? reason
                                       : text + QStringLiteral(": ") + reason; // no "peer lost: peer lost: …"
    // The status bar shares its width with the live figures: it gets the short form.
    const QString brief = state == SessionBridge::State::Lost ? text + tr(" — measured data kept") : text;
    if (state == SessionBridge::State::Lost)
        text += tr(" — every interval measured so far is kept; press Start to measure again");
    m_peer->setState(text, running,
                     state == SessionBridge::State::Lost || state == SessionBridge::State::Error);
    m_startAction->setEnabled(!running);
    m_stopAction->setEnabled(running);
    if (state == SessionBridge::State::Lost || state == SessionBridge::State::Error)
        statusBar()->showMessage(brief, 10000);

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
    if (const QString error = m_bridge->apply(key, value); !error.isEmpty()) {
        if (LogSliderEntry* c = m_controls->control(key))
            c->showError(error);
        statusBar()->showMessage(tr("%1 not changed: %2").arg(key, error), 5000);
        return;
    }
    statusBar()->showMessage(tr("%1 → %2").arg(key, value), 2000);
}

CompareDialog* MainWindow::compareDialog() {
    if (!m_compare) {
        m_compare = new CompareDialog(this);
        connect(m_compare, &CompareDialog::starting, this, [this] {
            m_compare->setBase(configFromControls());
            stopMeasuring(); // two measurements at once would disturb each other
        });
        connect(m_compare, &CompareDialog::runsChanged, this,
                [this](const QList<std::shared_ptr<const le::RunHistory>>& runs) {
                    m_comparison = runs;
                    m_dirty = true;
                });
    }
    try {
        m_compare->setBase(configFromControls());
    } catch (const std::exception&) {
        m_compare->setBase(le::PingConfig{}); // the controls hold a bad value: compare at the defaults
    }
    return m_compare;
}

void MainWindow::refreshPlots(bool force) {
    PlotRuns runs{m_bridge->history(), m_overlays + m_comparison};
    m_histogram->setRuns(runs);
    m_percentiles->setRuns(runs);
    m_distribution->setRuns(runs);
    m_histogram->refresh(force);
    m_percentiles->refresh(force);
    m_distribution->refresh(force);
    m_dirty = false;
    ++m_redraws;
}

void MainWindow::setPaused(bool paused) {
    m_paused = paused;
    if (m_pauseAction->isChecked() != paused)
        m_pauseAction->setChecked(paused);
    statusBar()->showMessage(paused ? tr("View paused; measuring goes on") : QString(), paused ? 0 : 1);
}

void MainWindow::updateStatus() {
    const le::IntervalRecord* r = m_bridge->latest();
    if (!r) {
        for (QLabel* l : {m_rateLabel, m_throughputLabel, m_countsLabel, m_percentilesLabel})
            l->clear();
        m_elapsedLabel->setText(tr("%1 s").arg(m_bridge->elapsedSeconds(), 0, 'f', 1));
        return;
    }
    m_rateLabel->setText(
        tr("rate %1 / %2 msg/s")
            .arg(qs(le::format_rate(std::round(r->achieved_rate))), qs(le::format_rate(r->target_rate))));
    const double mbps = r->duration_s > 0 ? double(r->bytes) * 8 / r->duration_s / 1e6 : 0;
    m_throughputLabel->setText(tr("%1 Mb/s").arg(mbps, 0, 'f', mbps < 10 ? 2 : 0));
    std::uint64_t sent = 0, received = 0, lost = 0;
    for (const auto& i : m_bridge->history()->intervals()) {
        sent += i.sent;
        received += i.received;
        lost += i.lost;
    }
    m_countsLabel->setText(tr("sent %1  received %2  lost %3").arg(sent).arg(received).arg(lost));
    QString percentiles = tr("p50 %1 µs  p99 %2 µs").arg(r->p50_us, 0, 'f', 1).arg(r->p99_us, 0, 'f', 1);
    if (r->burst > 1)
        percentiles += tr("  (burst of %1: first p50 %2 µs, rest p50 %3 µs)")
                           .arg(r->burst)
                           .arg(r->first.p50_us, 0, 'f', 1)
                           .arg(r->rest.p50_us, 0, 'f', 1);
    m_percentilesLabel->setText(percentiles);
    m_cpuLabel->setText(tr("CPU %1%  ping on %2, pong on %3")
                            .arg(r->cpu_percent, 0, 'f', 0)
                            .arg(qs(r->ping_cpus), qs(r->pong_cpus)));
    m_elapsedLabel->setText(tr("%1 s").arg(m_bridge->elapsedSeconds(), 0, 'f', 1));
}

QString MainWindow::openSession(const QString& path) {
    try {
        auto run = std::make_shared<le::RunHistory>(le::load_session(path.toStdString()));
        if (run->name().empty() || run->name() == "live")
            run->set_name(QFileInfo(path).completeBaseName().toStdString());
        m_overlays.append(run);
        m_dirty = true;
        return {};
    } catch (const std::exception& e) {
        return qs(e.what());
    }
}

QString MainWindow::saveSession(const QString& path) {
    try {
        le::save_session(path.toStdString(), *m_bridge->history());
        return {};
    } catch (const std::exception& e) {
        return qs(e.what());
    }
}

QString MainWindow::exportRecords(const QString& path) {
    const bool json = path.endsWith(QLatin1String(".json"), Qt::CaseInsensitive);
    std::ofstream out(path.toStdString(), std::ios::trunc);
    if (!out)
        return tr("cannot write %1: %2").arg(path, qs(std::strerror(errno)));
    const auto format = json ? le::RecordFormat::Json : le::RecordFormat::Csv;
    out << le::format_header(format);
    const auto history = m_bridge->history();
    for (const auto& r : history->intervals())
        out << le::format_record(format, r);
    if (history->summary())
        out << le::format_record(format, *history->summary());
    out.flush();
    if (!out)
        return tr("cannot write %1: %2").arg(path, qs(std::strerror(errno)));
    return {};
}

QString MainWindow::exportWindow(const QString& path) {
    refreshPlots(true);
    QString error;
    if (!PlotExport::save(this, path, size(), 1.0, &error))
        return error;
    return {};
}

void MainWindow::exportPlotDialog(QWidget* plot, const QString& name) {
    const QString path =
        QFileDialog::getSaveFileName(this, tr("Export %1").arg(name), name + QStringLiteral(".png"),
                                     tr("Images (*.png *.jpg *.pdf *.svg)"));
    if (path.isEmpty())
        return;
    bool ok = false;
    const QString sizeText = QInputDialog::getText(
        this, tr("Export size"), tr("Width x height (pixels) and scale:"), QLineEdit::Normal,
        QStringLiteral("%1x%2 1").arg(plot->width()).arg(plot->height()), &ok);
    if (!ok)
        return;
    const QStringList parts =
        sizeText.split(QRegularExpression(QStringLiteral("[x\\s]+")), Qt::SkipEmptyParts);
    const int w = parts.value(0).toInt(), h = parts.value(1).toInt();
    const double scale = parts.size() > 2 ? parts.value(2).toDouble() : 1.0;
    if (w < 16 || h < 16 || w > 20000 || h > 20000 || scale <= 0 || scale > 8) {
        showError(tr("Export"), tr("'%1' is not a size: expected e.g. 1600x900 2").arg(sizeText));
        return;
    }
    refreshPlots(true);
    QString error;
    if (!PlotExport::save(plot, path, QSize(w, h), scale, &error))
        showError(tr("Export"), error);
    else
        statusBar()->showMessage(tr("Saved %1").arg(path), 3000);
}

void MainWindow::showError(const QString& title, const QString& text) {
    statusBar()->showMessage(text, 8000);
    if (QGuiApplication::platformName() != QLatin1String("offscreen"))
        QMessageBox::warning(this, title, text);
}
