#include "sweep_tab.h"

#include "qt_string.h"

#include "plot_export.h"
#include "thread_priority.h"
#include "units.h"

#include <QFileDialog>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QMessageBox>
#include <QSplitter>
#include <QVBoxLayout>

#include <algorithm>
#include <set>

namespace {

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
    , m_form(new SweepForm(this))
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
    m_progress->setObjectName(QStringLiteral("progressBar"));
    m_status->setObjectName(QStringLiteral("statusLabel"));
    m_plot->setObjectName(QStringLiteral("sweepPlot"));
    m_tasksPlot->setObjectName(QStringLiteral("tasksPlot"));

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
    // The buttons get a row of their own: beside the line controls they made the tab (and so the
    // window) wider than a 1280-pixel screen.
    auto* files = new QHBoxLayout;
    auto* load = new QPushButton(tr("&Load sweep…"), this);
    auto* clear = new QPushButton(tr("Clear overlays"), this);
    auto* exportFig = new QPushButton(tr("Export &figure…"), this);
    auto* exportTable = new QPushButton(tr("Export &table…"), this);
    for (QPushButton* b : {load, clear, exportFig, exportTable})
        files->addWidget(b);
    files->addStretch(1);

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
    right->addLayout(files);
    right->addLayout(controls);
    right->addWidget(plots, 1);
    auto* layout = new QHBoxLayout(this);
    layout->setContentsMargins(4, 4, 4, 4);
    QWidget* form = buildRunColumn();
    form->setMaximumWidth(340);
    layout->addWidget(form);
    layout->addLayout(right, 1);

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
    setBusy(false);
    m_status->setText(tr("Pick a preset or build a grid, then Start."));
    refresh(true);
}

// The form, then the run's buttons, progress and status under it.
QWidget* SweepTab::buildRunColumn() {
    auto* box = new QWidget(this);
    auto* buttons = new QHBoxLayout;
    buttons->addWidget(m_start);
    buttons->addWidget(m_cancel);
    m_status->setWordWrap(true);
    m_progress->setFormat(QStringLiteral("%v / %m points"));
    auto* layout = new QVBoxLayout(box);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(m_form);
    layout->addLayout(buttons);
    layout->addWidget(m_progress);
    layout->addWidget(m_status);
    layout->addStretch(1);
    return box;
}

QString SweepTab::start() {
    if (m_running)
        return tr("a sweep is running");
    le::SweepSpec spec;
    try {
        spec = m_form->spec();
    } catch (const std::exception& e) {
        return qs(e.what());
    }
    le::SweepRunOptions options;
    options.out = m_form->outPath().toStdString();
    options.resume = m_form->resume();
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
    m_cancelled = false;
    m_progress->setRange(0, int(le::expand(spec).size()));
    m_progress->setValue(0);
    setBusy(true);
    m_status->setText(tr("starting…"));
    refresh(true);
    m_worker.post(
        [this, spec, options](const JobContext& context) {
            // Points and progress go back by value; `this` is used only there, on the GUI thread.
            le::SweepCallbacks cb;
            cb.point = [this, &context](const le::SweepPointResult& p) {
                context.deliver([this, p] { onPoint(p); });
            };
            cb.progress = [this, &context](const le::SweepProgress& p) {
                context.deliver([this, p] { onProgress(p); });
            };
            // Below the GUI thread when it has compute tasks, as live runs are (thread_priority.h).
            const bool tasks = std::any_of(spec.tasks.begin(), spec.tasks.end(), [](int t) { return t > 0; });
            le::run_at_nice(tasks ? le::kMeasuredNice : 0,
                            [&] { le::run_sweep(spec, options, cb, context.stopFlag()); });
        },
        [this](const JobResult<void>& result) { onDone(result); });
    return {};
}

void SweepTab::cancel() {
    m_cancelled = true;
    m_worker.requestStop();
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

void SweepTab::onDone(const JobResult<void>& result) {
    setBusy(false);
    std::size_t ok = 0, failed = 0;
    if (m_current)
        for (const auto& p : m_current->points)
            (p.ok() ? ok : failed) += 1;
    QString text = result.ok() ? tr("%1 points measured").arg(ok) : tr("error: %1").arg(*result.error);
    if (failed)
        text += tr(", %1 failed (see the table export)").arg(failed);
    if (m_cancelled)
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
