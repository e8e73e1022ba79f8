#include "sweep_tab.h"

#include "qt_string.h"

#include "plot_export.h"
#include "split_list.h"
#include "units.h"

#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QMessageBox>
#include <QSplitter>
#include <QVBoxLayout>

#include <fmt/format.h>

#include <set>
#include <sstream>

namespace {

std::vector<std::string> splitList(const QString& text, const char* field) {
    std::vector<std::string> out = le::split_list(text.toStdString());
    if (out.empty())
        throw std::invalid_argument(fmt::format("{}: list at least one value", field));
    return out;
}

template <class T, class Parse>
std::vector<T> parseList(const QString& text, const char* field, Parse&& parse) {
    std::vector<T> out;
    for (const auto& item : splitList(text, field)) {
        try {
            out.push_back(static_cast<T>(parse(item)));
        } catch (const std::exception& e) {
            throw std::invalid_argument(fmt::format("{}: {}", field, e.what()));
        }
    }
    return out;
}

QString joinRates(const std::vector<double>& rates) {
    QStringList parts;
    for (double r : rates)
        parts << qs(le::format_rate(r));
    return parts.join(QLatin1Char(','));
}

QString clockText(double seconds) {
    const long long s = std::llround(std::max(0.0, seconds));
    if (s >= 3600)
        return QStringLiteral("%1 h %2 min").arg(s / 3600).arg(s / 60 % 60);
    if (s >= 60)
        return QStringLiteral("%1 min %2 s").arg(s / 60).arg(s % 60);
    return QStringLiteral("%1 s").arg(s);
}

} // namespace

SweepTab::SweepTab(QWidget* parent)
    : QWidget(parent)
    , m_preset(new QComboBox(this))
    , m_rates(new QLineEdit(this))
    , m_tasks(new QLineEdit(this))
    , m_payloads(new QLineEdit(this))
    , m_duration(new QLineEdit(this))
    , m_warmup(new QLineEdit(this))
    , m_pause(new QLineEdit(QStringLiteral("0s"), this))
    , m_repeat(new QSpinBox(this))
    , m_icmp(new QCheckBox(tr("ICMP baseline (system ping)"), this))
    , m_peer(new QLineEdit(this))
    , m_out(new QLineEdit(this))
    , m_resume(new QCheckBox(tr("resume (skip points in the file)"), this))
    , m_start(new QPushButton(tr("&Start sweep"), this))
    , m_cancel(new QPushButton(tr("&Cancel"), this))
    , m_progress(new QProgressBar(this))
    , m_status(new QLabel(this))
    , m_percentile(new QComboBox(this))
    , m_band(new QCheckBox(tr("p10–p90 band"), this))
    , m_markers(new QCheckBox(tr("p99 markers"), this))
    , m_tasksRate(new QComboBox(this))
    , m_plot(new SweepPlot)
    , m_tasksPlot(new SweepTasksPlot) {
    qRegisterMetaType<le::SweepPointResult>();
    qRegisterMetaType<le::SweepProgress>();

    auto* controls = new QHBoxLayout;
    controls->addWidget(new QLabel(tr("Line:"), this));
    controls->addWidget(m_percentile);
    for (double p : {50.0, 90.0, 99.0, 99.9, 100.0})
        m_percentile->addItem(percentileName(p), p);
    m_band->setChecked(true);
    m_markers->setChecked(true);
    controls->addWidget(m_band);
    controls->addWidget(m_markers);
    controls->addStretch(1);
    auto* load = new QPushButton(tr("&Load sweep…"), this);
    auto* clear = new QPushButton(tr("Clear overlays"), this);
    auto* exportFig = new QPushButton(tr("Export &figure…"), this);
    auto* exportTable = new QPushButton(tr("Export &table…"), this);
    for (QPushButton* b : {load, clear, exportFig, exportTable})
        controls->addWidget(b);

    auto* tasksRow = new QHBoxLayout;
    tasksRow->addWidget(new QLabel(tr("RTT vs tasks at target rate:"), this));
    tasksRow->addWidget(m_tasksRate);
    tasksRow->addStretch(1);
    auto* tasksPanel = new QWidget(this);
    auto* tasksLayout = new QVBoxLayout(tasksPanel);
    tasksLayout->setContentsMargins(0, 0, 0, 0);
    tasksLayout->addLayout(tasksRow);
    tasksLayout->addWidget(m_tasksPlot, 1);

    auto* plots = new QSplitter(Qt::Vertical, this);
    plots->addWidget(m_plot);
    plots->addWidget(tasksPanel);
    plots->setStretchFactor(0, 3);
    plots->setStretchFactor(1, 1);
    m_plot->setMinimumSize(420, 300);
    m_tasksPlot->setMinimumSize(420, 160);

    auto* right = new QVBoxLayout;
    right->addLayout(controls);
    right->addWidget(plots, 1);
    auto* layout = new QHBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    QWidget* form = buildForm();
    form->setMaximumWidth(340);
    layout->addWidget(form);
    layout->addLayout(right, 1);

    connect(m_preset, &QComboBox::activated, this, [this] {
        if (m_preset->currentIndex() > 0)
            applyPreset(m_preset->currentData().toString());
    });
    connect(m_start, &QPushButton::clicked, this, [this] {
        if (const QString e = start(); !e.isEmpty()) {
            m_status->setText(e);
            if (QGuiApplication::platformName() != QLatin1String("offscreen"))
                QMessageBox::warning(this, tr("Sweep"), e);
        }
    });
    connect(m_cancel, &QPushButton::clicked, this, &SweepTab::cancel);
    connect(m_percentile, &QComboBox::currentIndexChanged, this, [this] {
        const double p = m_percentile->currentData().toDouble();
        m_plot->setLinePercentile(p);
        m_tasksPlot->setLinePercentile(p);
    });
    connect(m_band, &QCheckBox::toggled, m_plot, &SweepPlot::setBandVisible);
    connect(m_markers, &QCheckBox::toggled, m_plot, &SweepPlot::setMarkersVisible);
    connect(m_tasksRate, &QComboBox::currentIndexChanged, this, [this] {
        if (m_tasksRate->currentIndex() >= 0)
            m_tasksPlot->setRate(m_tasksRate->currentData().toDouble());
    });
    connect(load, &QPushButton::clicked, this, [this] {
        const QStringList paths =
            QFileDialog::getOpenFileNames(this, tr("Load sweeps"), {}, tr("Sweeps (*.csv *.json)"));
        for (const QString& path : paths)
            if (const QString e = openSweep(path); !e.isEmpty())
                QMessageBox::warning(this, tr("Load sweep"), e);
    });
    connect(clear, &QPushButton::clicked, this, &SweepTab::clearOverlays);
    connect(exportFig, &QPushButton::clicked, this, [this] {
        const QString path = QFileDialog::getSaveFileName(
            this, tr("Export figure"), QStringLiteral("sweep.png"), tr("Images (*.png *.jpg *.pdf *.svg)"));
        if (!path.isEmpty())
            if (const QString e = exportFigure(path); !e.isEmpty())
                QMessageBox::warning(this, tr("Export figure"), e);
    });
    connect(exportTable, &QPushButton::clicked, this, [this] {
        const QString path = QFileDialog::getSaveFileName(
            this, tr("Export table"), QStringLiteral("sweep.csv"), tr("Tables (*.csv *.json)"));
        if (!path.isEmpty())
            if (const QString e = this->exportTable(path); !e.isEmpty())
                QMessageBox::warning(this, tr("Export table"), e);
    });
    connect(this, &SweepTab::workerPoint, this, &SweepTab::onPoint, Qt::QueuedConnection);
    connect(this, &SweepTab::workerProgress, this, &SweepTab::onProgress, Qt::QueuedConnection);
    connect(this, &SweepTab::workerDone, this, &SweepTab::onDone, Qt::QueuedConnection);

    applyPreset(QStringLiteral("quick"));
    m_preset->setCurrentIndex(2);
    // Edited by hand, the grid is no longer the preset it started from.
    for (QLineEdit* e : {m_rates, m_tasks, m_payloads, m_duration, m_warmup})
        connect(e, &QLineEdit::textEdited, this, [this] { m_preset->setCurrentIndex(0); });
    for (QCheckBox* b : m_transports + m_engines)
        connect(b, &QCheckBox::clicked, this, [this] { m_preset->setCurrentIndex(0); });
    setBusy(false);
    m_status->setText(tr("Pick a preset or build a grid, then Start."));
    refresh(true);
}

SweepTab::~SweepTab() {
    m_stop = true;
    if (m_thread.joinable())
        m_thread.join();
}

QWidget* SweepTab::buildForm() {
    auto* box = new QWidget(this);
    auto* form = new QFormLayout;
    m_preset->addItem(tr("custom"), QString());
    m_preset->addItem(tr("the study's sweep (~72 min)"), QStringLiteral("study"));
    m_preset->addItem(tr("quick (~1 min)"), QStringLiteral("quick"));
    form->addRow(tr("Preset"), m_preset);
    m_rates->setToolTip(tr("Target rates, comma-separated: 1,10,100,1k,10k,100k,1M,inf"));
    form->addRow(tr("Rates (msg/s)"), m_rates);
    form->addRow(tr("Payloads"), m_payloads);
    form->addRow(tr("Tasks"), m_tasks);
    auto* transports = new QHBoxLayout;
    for (le::Transport t : {le::Transport::Tcp, le::Transport::Udp, le::Transport::Unix}) {
        auto* b = new QCheckBox(qs(std::string(le::to_string(t))), box);
        m_transports << b;
        transports->addWidget(b);
    }
    form->addRow(tr("Transports"), transports);
    auto* engines = new QGridLayout;
    int i = 0;
    for (le::EngineKind e : le::kAllEngines) {
        auto* b = new QCheckBox(qs(std::string(le::to_string(e))), box);
        b->setToolTip(qs(std::string(le::engine_description(e))));
        m_engines << b;
        engines->addWidget(b, i / 2, i % 2);
        ++i;
    }
    form->addRow(tr("Engines"), engines);
    form->addRow(tr("Duration / point"), m_duration);
    form->addRow(tr("Warm-up / point"), m_warmup);
    form->addRow(tr("Pause between"), m_pause);
    m_repeat->setRange(1, 1000);
    form->addRow(tr("Repetitions"), m_repeat);
    form->addRow(QString(), m_icmp);
    m_peer->setPlaceholderText(tr("local pong (started per point)"));
    m_peer->setToolTip(tr("A remote echo peer: tcp://HOST:PORT or udp://HOST:PORT"));
    form->addRow(tr("Peer"), m_peer);
    m_out->setPlaceholderText(tr("not saved"));
    m_out->setToolTip(tr("Saved after every point (.csv or .json): a crash loses only the point in flight"));
    auto* outRow = new QHBoxLayout;
    outRow->addWidget(m_out, 1);
    auto* browse = new QPushButton(tr("…"), box);
    browse->setMaximumWidth(30);
    outRow->addWidget(browse);
    connect(browse, &QPushButton::clicked, this, [this] {
        const QString path = QFileDialog::getSaveFileName(
            this, tr("Save sweep to"), QStringLiteral("sweep.csv"), tr("Sweeps (*.csv *.json)"), nullptr,
            QFileDialog::DontConfirmOverwrite);
        if (!path.isEmpty())
            m_out->setText(path);
    });
    form->addRow(tr("Save to"), outRow);
    form->addRow(QString(), m_resume);
    auto* buttons = new QHBoxLayout;
    buttons->addWidget(m_start);
    buttons->addWidget(m_cancel);
    m_status->setWordWrap(true);
    m_progress->setFormat(QStringLiteral("%v / %m points"));
    auto* layout = new QVBoxLayout(box);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addLayout(form);
    layout->addLayout(buttons);
    layout->addWidget(m_progress);
    layout->addWidget(m_status);
    layout->addStretch(1);
    return box;
}

void SweepTab::applyPreset(const QString& name) {
    const le::SweepSpec s = le::preset(name.toStdString());
    m_rates->setText(joinRates(s.rates));
    QStringList tasks, payloads;
    for (int t : s.tasks)
        tasks << QString::number(t);
    for (std::size_t p : s.payloads)
        payloads << QString::number(p);
    m_tasks->setText(tasks.join(QLatin1Char(',')));
    m_payloads->setText(payloads.join(QLatin1Char(',')));
    for (QCheckBox* b : std::as_const(m_transports))
        b->setChecked(std::find(s.transports.begin(), s.transports.end(),
                                le::parse_transport(b->text().toStdString())) != s.transports.end());
    for (QCheckBox* b : std::as_const(m_engines))
        b->setChecked(std::find(s.engines.begin(), s.engines.end(),
                                le::parse_engine(b->text().toStdString())) != s.engines.end());
    m_duration->setText(qs(le::format_duration(s.duration)).remove(QLatin1Char(' ')));
    m_warmup->setText(qs(le::format_duration(s.warmup)).remove(QLatin1Char(' ')));
    m_repeat->setValue(s.repeat);
    m_icmp->setChecked(s.icmp);
}

le::SweepSpec SweepTab::specFromForm() const {
    le::SweepSpec s;
    s.rates =
        parseList<double>(m_rates->text(), "rates", [](const std::string& t) { return le::parse_rate(t); });
    s.payloads = parseList<std::size_t>(m_payloads->text(), "payloads",
                                        [](const std::string& t) { return le::parse_size(t); });
    s.tasks = parseList<int>(m_tasks->text(), "tasks", [](const std::string& t) {
        const long long n = le::parse_count(t);
        if (n > le::kMaxTasks)
            throw std::invalid_argument(fmt::format("{} is more than {} tasks", n, le::kMaxTasks));
        return int(n);
    });
    s.transports.clear();
    for (QCheckBox* b : m_transports)
        if (b->isChecked())
            s.transports.push_back(le::parse_transport(b->text().toStdString()));
    s.engines.clear();
    for (QCheckBox* b : m_engines)
        if (b->isChecked())
            s.engines.push_back(le::parse_engine(b->text().toStdString()));
    const auto duration = [](QLineEdit* e, const char* field) {
        try {
            return le::parse_duration(e->text().toStdString());
        } catch (const std::exception& ex) {
            throw std::invalid_argument(fmt::format("{}: {}", field, ex.what()));
        }
    };
    s.duration = duration(m_duration, "duration");
    s.warmup = duration(m_warmup, "warm-up");
    s.pause = duration(m_pause, "pause");
    s.repeat = m_repeat->value();
    s.icmp = m_icmp->isChecked();
    if (!m_peer->text().trimmed().isEmpty()) {
        s.base.peer = le::parse_endpoint(m_peer->text().trimmed().toStdString());
        s.transports = {s.base.peer->transport};
    }
    le::validate(s);
    return s;
}

QString SweepTab::start() {
    if (m_running)
        return tr("a sweep is running");
    le::SweepSpec spec;
    try {
        spec = specFromForm();
    } catch (const std::exception& e) {
        return qs(e.what());
    }
    le::SweepRunOptions options;
    options.out = m_out->text().trimmed().toStdString();
    options.resume = m_resume->isChecked();
    if (!options.out.empty() && !QString::fromStdString(options.out).endsWith(QLatin1String(".csv")) &&
        !QString::fromStdString(options.out).endsWith(QLatin1String(".json")))
        return tr("the file to save to must end in .csv or .json");
    m_current = std::make_shared<le::SweepFile>();
    m_current->spec = spec;
    if (options.resume && !options.out.empty() && QFileInfo::exists(qs(options.out))) {
        try {
            m_current->points = le::load_sweep(options.out).points; // shown at once; the runner skips them
        } catch (const std::exception& e) {
            return qs(e.what());
        }
    }
    emit starting();
    m_stop = false;
    if (m_thread.joinable())
        m_thread.join();
    m_progress->setRange(0, int(le::expand(spec).size()));
    m_progress->setValue(0);
    setBusy(true);
    m_status->setText(tr("starting…"));
    refresh(true);
    m_thread = std::thread([this, spec, options] {
        le::SweepCallbacks cb;
        cb.point = [this](const le::SweepPointResult& p) { emit workerPoint(p); };
        cb.progress = [this](const le::SweepProgress& p) { emit workerProgress(p); };
        QString error;
        try {
            le::run_sweep(spec, options, cb, &m_stop);
        } catch (const std::exception& e) {
            error = qs(e.what());
        }
        emit workerDone(error);
    });
    return {};
}

void SweepTab::cancel() {
    m_stop = true;
    m_status->setText(tr("cancelling: the point in flight is dropped, finished points are kept…"));
}

void SweepTab::onPoint(const le::SweepPointResult& point) {
    if (!m_current)
        return;
    std::erase_if(m_current->points, [&](const le::SweepPointResult& p) { return p.key == point.key; });
    m_current->points.push_back(point);
    updateRates();
    refresh(true); // once per point, never per sample
    emit pointFinished(point);
}

void SweepTab::onProgress(const le::SweepProgress& p) {
    m_progress->setRange(0, int(p.total));
    m_progress->setValue(int(p.done + p.skipped));
    m_progress->setFormat(tr("%v / %m points — ETA %1").arg(clockText(p.eta_s)));
    if (!p.current.empty())
        m_status->setText(tr("measuring %1 (elapsed %2)").arg(qs(p.current), clockText(p.elapsed_s)));
}

void SweepTab::onDone(const QString& error) {
    if (m_thread.joinable())
        m_thread.join();
    setBusy(false);
    std::size_t ok = 0, failed = 0;
    if (m_current)
        for (const auto& p : m_current->points)
            (p.ok() ? ok : failed) += 1;
    QString text = error.isEmpty() ? tr("%1 points measured").arg(ok) : tr("error: %1").arg(error);
    if (failed)
        text += tr(", %1 failed (see the table export)").arg(failed);
    if (m_stop)
        text += tr(" — cancelled");
    if (m_current)
        for (const auto& p : m_current->points)
            if (p.icmp && !p.error.empty()) {
                text += tr("\nICMP baseline: %1").arg(qs(p.error));
                break;
            }
    m_status->setText(text);
    m_progress->setFormat(QStringLiteral("%v / %m points"));
    emit finished(text);
}

void SweepTab::setBusy(bool busy) {
    m_running = busy;
    m_start->setEnabled(!busy);
    m_cancel->setEnabled(busy);
}

QList<SweepData> SweepTab::sweeps() const {
    QList<SweepData> out;
    if (m_current)
        out << SweepData{QString(), m_current};
    out += m_overlays;
    return out;
}

void SweepTab::updateRates() {
    std::set<double> rates;
    for (const auto& s : sweeps())
        for (const auto& p : s.file->points)
            if (!p.icmp && p.ok())
                rates.insert(p.target_rate);
    const double chosen = m_tasksRate->currentIndex() >= 0 ? m_tasksRate->currentData().toDouble() : -1;
    const QSignalBlocker quiet(m_tasksRate);
    m_tasksRate->clear();
    // Back-to-back (0) last, like the figure's right end.
    std::vector<double> ordered(rates.begin(), rates.end());
    std::stable_partition(ordered.begin(), ordered.end(), [](double r) { return r != le::kRateInf; });
    for (double r : ordered)
        m_tasksRate->addItem(r == le::kRateInf ? tr("back-to-back") : qs(le::format_rate(r)) + tr("/s"), r);
    int index = m_tasksRate->findData(chosen);
    if (index < 0)
        index = m_tasksRate->count() - 1;
    m_tasksRate->setCurrentIndex(index);
    m_tasksPlot->setRate(index >= 0 ? m_tasksRate->itemData(index).toDouble() : 0);
}

void SweepTab::refresh(bool force) {
    const QList<SweepData> all = sweeps();
    m_plot->setSweeps(all);
    m_tasksPlot->setSweeps(all);
    m_plot->refresh(force);
    m_tasksPlot->refresh(force);
}

QString SweepTab::openSweep(const QString& path) {
    try {
        auto file = std::make_shared<le::SweepFile>(le::load_sweep(path.toStdString()));
        m_overlays << SweepData{QFileInfo(path).completeBaseName(), file};
        updateRates();
        refresh(true);
        return {};
    } catch (const std::exception& e) {
        return qs(e.what());
    }
}

void SweepTab::clearOverlays() {
    m_overlays.clear();
    updateRates();
    refresh(true);
}

QString SweepTab::exportFigure(const QString& path, QSize size) {
    refresh(true);
    QString error;
    if (!PlotExport::save(m_plot, path, size.isValid() ? size : QSize(1200, 800), 1.0, &error))
        return error;
    return {};
}

QString SweepTab::exportTable(const QString& path) const {
    if (!m_current && m_overlays.isEmpty())
        return tr("no sweep to export");
    try {
        le::save_sweep(path.toStdString(), m_current ? *m_current : *m_overlays.first().file);
        return {};
    } catch (const std::exception& e) {
        return qs(e.what());
    }
}
