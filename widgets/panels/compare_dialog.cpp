#include "compare_dialog.h"

#include "split_list.h"
#include "thread_priority.h"
#include "units.h"

#include <QClipboard>
#include <QFileDialog>
#include <QFormLayout>
#include <QGuiApplication>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QMessageBox>
#include <QSaveFile>
#include <QVBoxLayout>

#include <algorithm>

CompareDialog::CompareDialog(QWidget* parent)
    : QDialog(parent)
    , m_rate(new QLineEdit(QStringLiteral("1k"), this))
    , m_payload(new QLineEdit(QStringLiteral("64B"), this))
    , m_tasks(new QLineEdit(QStringLiteral("0"), this))
    , m_slice(new QLineEdit(QStringLiteral("1s"), this))
    , m_duration(new QLineEdit(QStringLiteral("5s"), this))
    , m_start(new QPushButton(tr("&Run"), this))
    , m_cancel(new QPushButton(tr("&Cancel"), this))
    , m_progress(new QProgressBar(this))
    , m_table(new QTableWidget(this)) {
    setWindowTitle(tr("Compare configurations (A/B)"));
    m_rate->setObjectName(QStringLiteral("rateEdit"));
    m_payload->setObjectName(QStringLiteral("payloadEdit"));
    m_tasks->setObjectName(QStringLiteral("tasksEdit"));
    m_slice->setObjectName(QStringLiteral("sliceEdit"));
    m_duration->setObjectName(QStringLiteral("durationEdit"));
    m_start->setObjectName(QStringLiteral("startButton"));
    m_table->setObjectName(QStringLiteral("resultsTable"));
    auto* engines = new QHBoxLayout;
    for (le::EngineKind e : le::kAllEngines) {
        auto* box = new QCheckBox(QString::fromLatin1(le::to_string(e).data()), this);
        box->setObjectName(QStringLiteral("engineBox"));
        box->setChecked(e == le::EngineKind::Blocking || e == le::EngineKind::Asio);
        box->setToolTip(QString::fromLatin1(le::engine_description(e).data()));
        m_engines << box;
        engines->addWidget(box);
    }
    auto* transports = new QHBoxLayout;
    for (le::Transport t : {le::Transport::Tcp, le::Transport::Udp, le::Transport::Unix}) {
        auto* box = new QCheckBox(QString::fromLatin1(le::to_string(t).data()), this);
        box->setObjectName(QStringLiteral("transportBox"));
        box->setChecked(t == le::Transport::Tcp);
        m_transports << box;
        transports->addWidget(box);
    }
    m_tasks->setToolTip(tr("Compute task counts to compare, e.g. 0,100"));
    m_slice->setToolTip(tr("Each variant runs this long before the next one takes over"));
    m_duration->setToolTip(tr("Measured time per variant, in slices"));
    auto* form = new QFormLayout;
    form->addRow(tr("Engines"), engines);
    form->addRow(tr("Transports"), transports);
    form->addRow(tr("Rate (msg/s)"), m_rate);
    form->addRow(tr("Payload"), m_payload);
    form->addRow(tr("Tasks"), m_tasks);
    form->addRow(tr("Slice"), m_slice);
    form->addRow(tr("Time per variant"), m_duration);
    auto* buttons = new QHBoxLayout;
    buttons->addWidget(m_progress, 1);
    buttons->addWidget(m_start);
    buttons->addWidget(m_cancel);
    auto* copy = new QPushButton(tr("Cop&y"), this);
    copy->setObjectName(QStringLiteral("copyButton"));
    copy->setToolTip(tr("The table as CSV on the clipboard"));
    auto* exportCsv = new QPushButton(tr("&Export CSV…"), this);
    exportCsv->setObjectName(QStringLiteral("exportButton"));
    buttons->addWidget(copy);
    buttons->addWidget(exportCsv);
    connect(copy, &QPushButton::clicked, this, [this] { QGuiApplication::clipboard()->setText(tableCsv()); });
    connect(exportCsv, &QPushButton::clicked, this, [this] {
        const QString path = QFileDialog::getSaveFileName(this, tr("Export comparison"),
                                                          QStringLiteral("compare.csv"), tr("CSV (*.csv)"));
        if (path.isEmpty())
            return;
        if (const QString error = exportTable(path); !error.isEmpty())
            QMessageBox::warning(this, tr("Export comparison"), error);
    });
    m_table->setColumnCount(9);
    m_table->setHorizontalHeaderLabels({tr("variant"), tr("msg/s"), tr("p50 µs"), tr("p99 µs"),
                                        tr("p99.9 µs"), tr("max µs"), tr("CPU %"), tr("p50 / A"),
                                        tr("p99 / A")});
    m_table->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    m_table->setEditTriggers(QAbstractItemView::NoEditTriggers);
    auto* layout = new QVBoxLayout(this);
    layout->addWidget(
        new QLabel(tr("The variants run alternately in short slices (A B A B …), so drift on the "
                      "machine hits all of them alike. Live measuring stops meanwhile and resumes when the "
                      "comparison ends."),
                   this));
    layout->addLayout(form);
    layout->addLayout(buttons);
    layout->addWidget(m_table, 1);
    m_cancel->setEnabled(false);
    resize(760, 420);
    connect(m_start, &QPushButton::clicked, this, &CompareDialog::start);
    connect(m_cancel, &QPushButton::clicked, this, &CompareDialog::cancel);
}

void CompareDialog::setBase(const le::PingConfig& base) {
    m_base = base;
    if (!running()) { // the form of a running comparison stays as it was started
        m_rate->setText(QString::fromStdString(le::format_rate(base.rate)));
        m_payload->setText(QString::fromStdString(le::format_size(base.payload)).remove(QLatin1Char(' ')));
    }
}

QString CompareDialog::tableCsv() const {
    const auto field = [](QString s) {
        if (s.contains(QLatin1Char(',')) || s.contains(QLatin1Char('"')))
            s = QLatin1Char('"') + s.replace(QLatin1String("\""), QLatin1String("\"\"")) + QLatin1Char('"');
        return s;
    };
    QStringList lines;
    QStringList header;
    for (int c = 0; c < m_table->columnCount(); ++c)
        header << field(m_table->horizontalHeaderItem(c)->text());
    lines << header.join(QLatin1Char(','));
    for (int r = 0; r < m_table->rowCount(); ++r) {
        QStringList row;
        for (int c = 0; c < m_table->columnCount(); ++c)
            row << field(m_table->item(r, c) ? m_table->item(r, c)->text() : QString());
        lines << row.join(QLatin1Char(','));
    }
    return lines.join(QLatin1Char('\n')) + QLatin1Char('\n');
}

QString CompareDialog::exportTable(const QString& path) const {
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly) || file.write(tableCsv().toUtf8()) < 0 || !file.commit())
        return tr("cannot write %1: %2").arg(path, file.errorString());
    return {};
}

void CompareDialog::setBusy(bool busy) {
    m_start->setEnabled(!busy);
    m_cancel->setEnabled(busy);
}

void CompareDialog::cancel() {
    m_worker.requestStop();
}

void CompareDialog::start() {
    if (running())
        return;
    std::vector<le::EngineKind> engines;
    for (int i = 0; i < m_engines.size(); ++i)
        if (m_engines[i]->isChecked())
            engines.push_back(le::kAllEngines[std::size_t(i)]);
    std::vector<le::Transport> transports;
    const le::Transport all[] = {le::Transport::Tcp, le::Transport::Udp, le::Transport::Unix};
    for (int i = 0; i < m_transports.size(); ++i)
        if (m_transports[i]->isChecked())
            transports.push_back(all[i]);
    std::vector<le::CompareVariant> variants;
    le::CompareOptions options;
    try {
        std::vector<int> tasks;
        for (const std::string& t : le::split_list(m_tasks->text().toStdString()))
            tasks.push_back(int(std::min<long long>(le::parse_count(t), le::kMaxTasks + 1LL)));
        if (engines.empty() || transports.empty())
            throw std::invalid_argument("pick at least one engine and one transport");
        options.slice = le::parse_duration(m_slice->text().toStdString());
        options.total_per_variant = le::parse_duration(m_duration->text().toStdString());
        le::PingConfig base = m_base;
        base.rate = le::parse_rate(m_rate->text().toStdString());
        base.payload = le::parse_size(m_payload->text().toStdString());
        base.peer.reset(); // each slice starts its own in-process pong with the variant's engine
        variants = le::make_variants(base, engines, transports, tasks);
        if (variants.size() < 2)
            throw std::invalid_argument("pick at least two configurations to compare");
        for (const auto& v : variants)
            le::validate(v.config);
        if (options.slice < 100 * le::kNanosPerMilli || options.total_per_variant < options.slice)
            throw std::invalid_argument(
                "the slice must be at least 100 ms and no longer than the time per variant");
    } catch (const std::exception& e) {
        m_progress->setFormat(QString::fromStdString(e.what()));
        m_progress->setValue(0);
        m_progress->setTextVisible(true);
        return;
    }
    emit starting();
    m_runs.clear();
    for (const auto& v : variants)
        m_runs << std::make_shared<le::RunHistory>(v.name);
    m_elapsed = 0;
    m_table->setRowCount(0);
    m_progress->setFormat(tr("%v of %m slices"));
    m_progress->setRange(0, int(variants.size()) *
                                int(std::llround(double(options.total_per_variant) / options.slice)));
    m_progress->setValue(0);
    m_finished = false;
    setBusy(true);
    publishRuns();
    m_worker.post(
        [this, variants, options](const JobContext& context) {
            // Progress and slices go back by value; `this` is used only there, on the GUI thread.
            // Below the GUI thread when it has compute tasks, as live runs are (thread_priority.h).
            const bool tasks = std::any_of(variants.begin(), variants.end(),
                                           [](const le::CompareVariant& v) { return v.config.tasks > 0; });
            std::vector<le::CompareResult> results;
            le::run_at_nice(tasks ? le::kMeasuredNice : 0, [&] {
                results = le::run_compare(
                    variants, options,
                    [this, &context](int done, int) {
                        context.deliver([this, done] { m_progress->setValue(done); });
                    },
                    context.stopFlag(),
                    [this, &context](std::size_t variant, const le::IntervalRecord& slice) {
                        context.deliver([this, variant, slice] { sliceDone(variant, slice); });
                    });
            });
            return results;
        },
        [this](const JobResult<std::vector<le::CompareResult>>& results) { showResults(results); });
}

void CompareDialog::sliceDone(std::size_t variant, le::IntervalRecord slice) {
    if (variant >= std::size_t(m_runs.size()))
        return;
    // Slices of all variants share one time axis, so the curves interleave as they were measured.
    m_elapsed += slice.duration_s;
    slice.kind = le::IntervalRecord::Kind::Interval;
    slice.t_s = m_elapsed;
    slice.changes.clear();
    m_runs[qsizetype(variant)]->add(slice);
    publishRuns();
    emit sliceMeasured(QString::fromStdString(m_runs[qsizetype(variant)]->name()), slice.duration_s);
}

void CompareDialog::publishRuns() {
    QList<std::shared_ptr<const le::RunHistory>> runs;
    for (const auto& r : std::as_const(m_runs))
        runs << r;
    emit runsChanged(runs);
}

void CompareDialog::showResults(const JobResult<std::vector<le::CompareResult>>& outcome) {
    m_finished = true;
    setBusy(false);
    if (!outcome.ok()) // the options were checked before the start, so this is rare
        m_progress->setFormat(*outcome.error);
    const std::vector<le::CompareResult>& results = outcome.value;
    m_table->setRowCount(int(results.size()));
    const le::IntervalRecord* a = results.empty() ? nullptr : &results.front().summary;
    const auto number = [](double v, int decimals) { return QString::number(v, 'f', decimals); };
    const auto ratio = [](double v, double ref) {
        return ref > 0 ? QString::number(v / ref, 'f', 2) : QStringLiteral("–");
    };
    for (int row = 0; row < int(results.size()); ++row) {
        const le::CompareResult& r = results[std::size_t(row)];
        const le::IntervalRecord& s = r.summary;
        const QStringList cells{
            QString::fromStdString(r.name) +
                (r.error.empty() ? QString() : tr(" (error: %1)").arg(QString::fromStdString(r.error))),
            number(s.achieved_rate, 0),
            number(s.p50_us, 2),
            number(s.p99_us, 2),
            number(s.p999_us, 2),
            number(s.max_us, 2),
            number(s.cpu_percent, 0),
            ratio(s.p50_us, a->p50_us),
            ratio(s.p99_us, a->p99_us)};
        for (int c = 0; c < cells.size(); ++c)
            m_table->setItem(row, c, new QTableWidgetItem(cells[c]));
        if (row < m_runs.size())
            m_runs[row]->set_summary(s);
    }
    publishRuns();
    emit finished();
}
