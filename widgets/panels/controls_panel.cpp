#include "controls_panel.h"

#include "compute_load.h"
#include "endpoint.h"
#include "units.h"

#include <QFormLayout>
#include <QGroupBox>
#include <QMessageBox>
#include <QVBoxLayout>

namespace {

template <class Parse> std::function<QString(const QString&)> validator(Parse parse) {
    return [parse](const QString& text) -> QString {
        try {
            parse(text.toStdString());
            return {};
        } catch (const std::exception& e) {
            return QString::fromStdString(e.what());
        }
    };
}

template <class Parse, class Format>
std::function<QString(const QString&)> canonical(Parse parse, Format format) {
    return [parse, format](const QString& text) -> QString {
        try {
            return QString::fromStdString(format(parse(text.toStdString())));
        } catch (const std::exception&) {
            return text;
        }
    };
}

QString sizeText(std::size_t bytes) {
    // "1 KiB" -> "1KiB": the entry shows what a user would type.
    return QString::fromStdString(le::format_size(bytes)).remove(QLatin1Char(' '));
}

} // namespace

ControlsPanel::ControlsPanel(QWidget* parent)
    : QWidget(parent) {
    QStringList rates;
    for (double decade : {1.0, 10.0, 100.0, 1e3, 1e4, 1e5})
        for (double m : {1.0, 2.0, 5.0})
            rates << QString::fromStdString(le::format_rate(decade * m));
    rates << QStringLiteral("1M") << QStringLiteral("inf");
    m_rate = new LogSliderEntry(tr("Rate (msg/s)"),
                                {rates, validator([](const std::string& s) { le::parse_rate(s); }),
                                 canonical([](const std::string& s) { return le::parse_rate(s); },
                                           [](double r) { return le::format_rate(r); })},
                                this);
    m_rate->setToolTip(tr("Messages per second, 1 to 1M (10k, 1M), or inf = back-to-back"));

    QStringList sizes;
    for (std::size_t b = le::kMinPayload; b <= le::kMaxPayload; b *= 2)
        sizes << sizeText(b);
    m_payload = new LogSliderEntry(tr("Payload"),
                                   {sizes, validator([](const std::string& s) {
                                        le::check_payload(le::parse_size(s), le::Transport::Tcp);
                                    }),
                                    canonical([](const std::string& s) { return le::parse_size(s); },
                                              [](std::size_t b) { return sizeText(b).toStdString(); })},
                                   this);
    m_payload->setToolTip(tr("Message size, 8 B to 1 MiB (at most 65507 B over UDP)"));

    const QStringList taskSteps{"0",   "1",   "2",   "5",    "10",   "20",  "50",
                                "100", "200", "500", "1000", "2000", "5000"};
    m_tasks = new LogSliderEntry(
        tr("Compute tasks"),
        {taskSteps,
         validator([this](const std::string& s) {
             if (le::parse_count(s) > m_taskLimit)
                 throw std::invalid_argument(
                     tr("at most %1 tasks with the %2 engine").arg(m_taskLimit).arg(m_engine).toStdString());
         }),
         {}},
        this);
    m_tasks->setToolTip(tr("CPU-bound tasks sharing the ping's engine: each wakes every task period and "
                           "does the task work"));

    const QStringList workSteps{"0us",  "1us",   "2us",   "5us",   "10us", "20us",
                                "50us", "100us", "200us", "500us", "1ms"};
    m_taskWork = new LogSliderEntry(tr("Task work"),
                                    {workSteps,
                                     validator([](const std::string& s) {
                                         if (le::parse_duration(s) > le::kNanosPerSecond)
                                             throw std::invalid_argument("at most 1 s");
                                     }),
                                     {}},
                                    this);
    m_taskWork->setToolTip(tr("Real CPU work (hashing) per task wake-up, calibrated to time at start"));

    m_loop = new QComboBox(this);
    m_loop->addItems({tr("Closed loop (one in flight)"), tr("Open loop (on schedule)")});
    m_loop->setToolTip(
        tr("Closed loop waits for each echo; open loop sends on schedule, measures from the "
           "intended send time and counts losses by timeout. Changing it restarts the data path."));

    m_burst = new QSpinBox(this);
    m_burst->setRange(1, 1000);
    m_burst->setPrefix(tr("burst "));
    m_burst->setToolTip(
        tr("Round trips sent back-to-back at each tick. With more than one, the first of each "
           "burst and the rest are shown apart: how much of low-rate latency is the cold path. "
           "Changing it restarts the data path."));
    m_burst->setKeyboardTracking(false); // one change when the user is done typing

    m_load = new QLabel(this);
    m_load->setObjectName(QStringLiteral("loadLabel"));
    m_load->setWordWrap(true);
    m_load->setToolTip(tr("Compute tasks × task work per task period, against the cores the ping may use"));

    auto* layout = new QVBoxLayout(this);
    for (QWidget* w :
         {static_cast<QWidget*>(m_rate), static_cast<QWidget*>(m_payload), static_cast<QWidget*>(m_tasks),
          static_cast<QWidget*>(m_load), static_cast<QWidget*>(m_taskWork)})
        layout->addWidget(w);
    layout->addWidget(m_loop);
    layout->addWidget(m_burst);
    layout->addStretch(1);

    connect(m_rate, &LogSliderEntry::valueChosen, this,
            [this](const QString& v) { emit changeRequested("rate", v); });
    connect(m_payload, &LogSliderEntry::valueChosen, this,
            [this](const QString& v) { emit changeRequested("payload", v); });
    connect(m_tasks, &LogSliderEntry::valueChosen, this, [this](const QString& v) {
        if (acceptLoad(m_tasks))
            emit changeRequested("tasks", v);
    });
    connect(m_taskWork, &LogSliderEntry::valueChosen, this, [this](const QString& v) {
        if (acceptLoad(m_taskWork))
            emit changeRequested("task-work", v);
    });
    updateLoad();
    connect(m_loop, &QComboBox::activated, this, [this](int i) { emit loopChanged(i == 1); });
    connect(m_burst, &QSpinBox::valueChanged, this, &ControlsPanel::burstChanged);
}

LogSliderEntry* ControlsPanel::control(const QString& key) const {
    if (key == QLatin1String("rate"))
        return m_rate;
    if (key == QLatin1String("payload"))
        return m_payload;
    if (key == QLatin1String("tasks"))
        return m_tasks;
    if (key == QLatin1String("task-work"))
        return m_taskWork;
    return nullptr;
}

void ControlsPanel::setCores(int cores) {
    m_cores = std::max(1, cores);
    updateLoad();
}

void ControlsPanel::setTaskLimit(int limit, const QString& engine) {
    m_taskLimit = limit;
    m_engine = engine;
}

void ControlsPanel::syncApplied() {
    m_appliedTasks = m_tasks->value();
    m_appliedWork = m_taskWork->value();
    updateLoad();
}

double ControlsPanel::load() const {
    try {
        return computeLoad(le::parse_count(m_tasks->value().toStdString()),
                           le::parse_duration(m_taskWork->value().toStdString()), le::kNanosPerMilli,
                           m_cores);
    } catch (const std::exception&) {
        return 0;
    }
}

void ControlsPanel::updateLoad() {
    const double l = load();
    m_load->setText(computeLoadText(l, m_cores));
    m_load->setStyleSheet(l > 1 ? QStringLiteral("color: #d32f2f; font-weight: bold") : QString());
}

bool ControlsPanel::acceptLoad(LogSliderEntry* changed) {
    QString& applied = changed == m_tasks ? m_appliedTasks : m_appliedWork;
    const auto refuse = [&](const QString& reason) {
        changed->setValue(applied);
        if (!reason.isEmpty())
            changed->showError(reason);
        updateLoad();
        return false;
    };
    if (changed == m_tasks && le::parse_count(m_tasks->value().toStdString()) > m_taskLimit)
        return refuse(tr("at most %1 tasks with the %2 engine").arg(m_taskLimit).arg(m_engine));
    const double l = load();
    if (l > 1) {
        QMessageBox box(
            QMessageBox::Warning, tr("Overload"),
            tr("These tasks ask for %1: more CPU than the ping may use.").arg(computeLoadText(l, m_cores)),
            QMessageBox::Apply | QMessageBox::Cancel, this);
        box.setObjectName(QStringLiteral("overloadBox"));
        box.setInformativeText(tr(
            "Every core will be busy: the window and the whole machine will answer slowly, latencies will be "
            "the scheduler's, and a ping starved for 1.5 s ends the run (\"ping overloaded\"). Apply "
            "anyway?"));
        box.setDefaultButton(QMessageBox::Cancel);
        if (box.exec() != QMessageBox::Apply)
            return refuse({});
    }
    applied = changed->value();
    updateLoad();
    return true;
}
