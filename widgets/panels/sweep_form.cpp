#include "sweep_form.h"

#include "qt_string.h"

#include "split_list.h"
#include "units.h"

#include <QFileDialog>
#include <QFormLayout>
#include <QGridLayout>
#include <QHBoxLayout>
#include <QPushButton>

#include <fmt/format.h>

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

} // namespace

SweepForm::SweepForm(QWidget* parent)
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
    , m_resume(new QCheckBox(tr("resume (skip points in the file)"), this)) {
    m_rates->setObjectName(QStringLiteral("ratesEdit"));
    m_tasks->setObjectName(QStringLiteral("tasksEdit"));
    m_payloads->setObjectName(QStringLiteral("payloadsEdit"));
    m_duration->setObjectName(QStringLiteral("durationEdit"));
    m_warmup->setObjectName(QStringLiteral("warmupEdit"));
    m_out->setObjectName(QStringLiteral("outEdit"));
    m_icmp->setObjectName(QStringLiteral("icmpBox"));
    auto* form = new QFormLayout(this);
    form->setContentsMargins(0, 0, 0, 0);
    m_preset->addItem(tr("custom"), QString());
    m_preset->addItem(tr("the study's sweep (~72 min)"), QStringLiteral("study"));
    m_preset->addItem(tr("quick (~1 min)"), QStringLiteral("quick"));
    m_preset->addItem(tr("frameworks: 6 engines (~4 min)"), QStringLiteral("frameworks"));
    form->addRow(tr("Preset"), m_preset);
    m_rates->setToolTip(tr("Target rates, comma-separated: 1,10,100,1k,10k,100k,1M,inf"));
    form->addRow(tr("Rates (msg/s)"), m_rates);
    form->addRow(tr("Payloads"), m_payloads);
    form->addRow(tr("Tasks"), m_tasks);
    auto* transports = new QHBoxLayout;
    for (le::Transport t : {le::Transport::Tcp, le::Transport::Udp, le::Transport::Unix}) {
        auto* b = new QCheckBox(qs(std::string(le::to_string(t))), this);
        b->setObjectName(QStringLiteral("transportBox"));
        m_transports << b;
        transports->addWidget(b);
    }
    form->addRow(tr("Transports"), transports);
    auto* engines = new QGridLayout;
    int i = 0;
    for (le::EngineKind e : le::kAllEngines) {
        auto* b = new QCheckBox(qs(std::string(le::to_string(e))), this);
        b->setObjectName(QStringLiteral("engineBox"));
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
    auto* browse = new QPushButton(tr("…"), this);
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

    connect(m_preset, &QComboBox::activated, this, [this] {
        if (m_preset->currentIndex() > 0)
            applyPreset(m_preset->currentData().toString());
    });
    applyPreset(QStringLiteral("quick"));
    m_preset->setCurrentIndex(2);
    // Edited by hand, the grid is no longer the preset it started from.
    for (QLineEdit* e : {m_rates, m_tasks, m_payloads, m_duration, m_warmup})
        connect(e, &QLineEdit::textEdited, this, [this] { m_preset->setCurrentIndex(0); });
    for (QCheckBox* b : m_transports + m_engines)
        connect(b, &QCheckBox::clicked, this, [this] { m_preset->setCurrentIndex(0); });
}

void SweepForm::applyPreset(const QString& name) {
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

le::SweepSpec SweepForm::spec() const {
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
