#include "agent_dialogs.h"

#include "units.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDialog>
#include <QDialogButtonBox>
#include <QDoubleSpinBox>
#include <QFileDialog>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSettings>
#include <QSpinBox>

namespace {

// A dialog whose OK runs `check`: a non-empty answer is shown in red and keeps it open.
class CheckedDialog : public QDialog {
public:
    CheckedDialog(QWidget* parent, const QString& title)
        : QDialog(parent)
        , m_form(new QFormLayout) {
        setWindowTitle(title);
        setMinimumWidth(440); // room for paths and ssh options
        auto* layout = new QVBoxLayout(this);
        layout->addLayout(m_form);
        m_error->setStyleSheet(QStringLiteral("color: #d32f2f"));
        m_error->setWordWrap(true);
        layout->addWidget(m_error);
        auto* buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel);
        layout->addWidget(buttons);
        connect(buttons, &QDialogButtonBox::accepted, this, [this] {
            const QString e = m_check ? m_check() : QString();
            m_error->setText(e);
            if (e.isEmpty())
                accept();
        });
        connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    }
    QFormLayout* form() const { return m_form; }
    void setCheck(std::function<QString()> check) { m_check = std::move(check); }

private:
    QFormLayout* m_form;
    QLabel* m_error = new QLabel(this);
    std::function<QString()> m_check;
};

QLineEdit* fileField(QFormLayout* form, const QString& label, const QString& tip) {
    auto* edit = new QLineEdit;
    edit->setToolTip(tip);
    auto* browse = new QPushButton(QObject::tr("…"));
    browse->setMaximumWidth(32);
    QObject::connect(browse, &QPushButton::clicked, edit, [edit] {
        const QString path = QFileDialog::getOpenFileName(edit, QObject::tr("Token file"), edit->text());
        if (!path.isEmpty())
            edit->setText(path);
    });
    auto* row = new QHBoxLayout;
    row->addWidget(edit);
    row->addWidget(browse);
    form->addRow(label, row);
    return edit;
}

} // namespace

namespace AgentDialogs {

QStringList splitOptions(const QString& text) {
    // As a POSIX shell splits words (QProcess::splitCommand knows no single quotes): '…' literal,
    // "…" with \" and \\, a backslash outside quotes escapes the next character.
    QStringList words;
    QString word;
    bool inWord = false;
    QChar quote;
    for (qsizetype i = 0; i < text.size(); ++i) {
        const QChar c = text.at(i);
        if (!quote.isNull()) {
            if (c == quote)
                quote = QChar();
            else if (quote == QLatin1Char('"') && c == QLatin1Char('\\') && i + 1 < text.size() &&
                     (text.at(i + 1) == QLatin1Char('"') || text.at(i + 1) == QLatin1Char('\\')))
                word += text.at(++i);
            else
                word += c;
        } else if (c.isSpace()) {
            if (inWord)
                words << word;
            word.clear();
            inWord = false;
        } else {
            inWord = true;
            if (c == QLatin1Char('\'') || c == QLatin1Char('"'))
                quote = c;
            else if (c == QLatin1Char('\\') && i + 1 < text.size())
                word += text.at(++i);
            else
                word += c;
        }
    }
    if (inWord)
        words << word;
    return words;
}

std::optional<AgentTarget> askDirect(QWidget* parent) {
    CheckedDialog d(parent, QObject::tr("Add remote agent"));
    auto* host = new QLineEdit;
    host->setPlaceholderText(QStringLiteral("host or address"));
    auto* port = new QSpinBox;
    port->setRange(1, 65535);
    port->setValue(7800);
    d.form()->addRow(QObject::tr("Host"), host);
    d.form()->addRow(QObject::tr("Control port"), port);
    QLineEdit* token = fileField(d.form(), QObject::tr("Token file"),
                                 QObject::tr("The file given to `latency-pong --agent --token-file`; "
                                             "empty for an agent listening on loopback only"));
    auto* data = new QLineEdit;
    data->setPlaceholderText(QObject::tr("same as host"));
    data->setToolTip(QObject::tr("Where pings reach the agent's endpoints, if not the host above"));
    d.form()->addRow(QObject::tr("Data host"), data);
    d.setCheck(
        [&] { return host->text().trimmed().isEmpty() ? QObject::tr("a host is needed") : QString(); });
    // The last agent added is most likely the next one too.
    QSettings settings;
    host->setText(settings.value("agents/direct/host").toString());
    port->setValue(settings.value("agents/direct/port", 7800).toInt());
    token->setText(settings.value("agents/direct/token-file").toString());
    data->setText(settings.value("agents/direct/data-host").toString());
    if (d.exec() != QDialog::Accepted)
        return std::nullopt;
    settings.setValue("agents/direct/host", host->text().trimmed());
    settings.setValue("agents/direct/port", port->value());
    settings.setValue("agents/direct/token-file", token->text().trimmed());
    settings.setValue("agents/direct/data-host", data->text().trimmed());
    AgentTarget t;
    t.host = host->text().trimmed();
    t.port = quint16(port->value());
    t.tokenFile = token->text().trimmed();
    t.dataHost = data->text().trimmed();
    return t;
}

std::optional<AgentTarget> askSsh(QWidget* parent) {
    CheckedDialog d(parent, QObject::tr("Start agent over SSH"));
    auto* host = new QLineEdit;
    host->setPlaceholderText(QObject::tr("host, address or ~/.ssh/config alias"));
    auto* user = new QLineEdit;
    user->setPlaceholderText(QObject::tr("ssh's default"));
    auto* port = new QSpinBox;
    port->setRange(0, 65535);
    port->setSpecialValueText(QObject::tr("default (22)"));
    auto* remote = new QLineEdit(QStringLiteral("latency-pong"));
    remote->setToolTip(QObject::tr("latency-pong on the remote host: a name on its PATH or a path"));
    auto* extra = new QLineEdit;
    extra->setPlaceholderText(QStringLiteral("-i ~/.ssh/lab -J bastion"));
    extra->setToolTip(QObject::tr("More ssh options, placed before the host"));
    auto* data = new QLineEdit;
    data->setPlaceholderText(QObject::tr("the host ssh connects to"));
    data->setToolTip(QObject::tr("Where pings reach the agent's endpoints. The control channel goes "
                                 "through the ssh connection; the measured data goes direct."));
    // Named for scripts and tests that fill the form.
    for (auto [w, name] : {std::pair<QWidget*, const char*>{host, "host"},
                           {user, "user"},
                           {port, "port"},
                           {remote, "remote"},
                           {extra, "extra"},
                           {data, "data"}})
        w->setObjectName(QLatin1String(name));
    d.form()->addRow(QObject::tr("Host"), host);
    d.form()->addRow(QObject::tr("User"), user);
    d.form()->addRow(QObject::tr("SSH port"), port);
    d.form()->addRow(QObject::tr("Remote latency-pong"), remote);
    d.form()->addRow(QObject::tr("Extra ssh options"), extra);
    d.form()->addRow(QObject::tr("Data host"), data);
    auto* note = new QLabel(QObject::tr("Uses your ssh (config, keys, agent) without a password prompt; "
                                        "the agent stops when the window closes."));
    note->setWordWrap(true);
    d.form()->addRow(note);
    d.setCheck([&] {
        if (host->text().trimmed().isEmpty())
            return QObject::tr("a host is needed");
        if (remote->text().trimmed().isEmpty())
            return QObject::tr("the remote latency-pong path is needed");
        return QString();
    });
    QSettings settings;
    for (QLineEdit* e : {host, user, remote, extra, data})
        if (const QVariant v = settings.value("agents/ssh/" + e->objectName()); v.isValid())
            e->setText(v.toString());
    port->setValue(settings.value("agents/ssh/port", 0).toInt());
    if (d.exec() != QDialog::Accepted)
        return std::nullopt;
    for (QLineEdit* e : {host, user, remote, extra, data})
        settings.setValue("agents/ssh/" + e->objectName(), e->text().trimmed());
    settings.setValue("agents/ssh/port", port->value());
    le::SshLaunchOptions o;
    o.host = host->text().trimmed().toStdString();
    o.user = user->text().trimmed().toStdString();
    o.port = std::uint16_t(port->value());
    o.remote_pong = remote->text().trimmed().toStdString();
    for (const QString& a : splitOptions(extra->text()))
        o.extra_options.push_back(a.toStdString());
    AgentTarget t;
    t.host = host->text().trimmed();
    t.dataHost = data->text().trimmed();
    t.ssh = o;
    return t;
}

std::optional<le::AgentEndpointSpec> askEndpoint(QWidget* parent) {
    CheckedDialog d(parent, QObject::tr("Start endpoint on the agent"));
    auto* transport = new QComboBox;
    transport->addItems({QStringLiteral("TCP"), QStringLiteral("UDP")});
    auto* engine = new QComboBox;
    for (le::EngineKind e : le::kAllEngines)
        engine->addItem(QString::fromLatin1(le::to_string(e).data()));
    engine->setCurrentIndex(1); // asio, latency-pong's default
    auto* port = new QSpinBox;
    port->setRange(0, 65535);
    port->setSpecialValueText(QObject::tr("any free port"));
    auto* tasks = new QSpinBox;
    tasks->setRange(0, 1000);
    auto* delay = new QLineEdit(QStringLiteral("0"));
    auto* jitter = new QLineEdit(QStringLiteral("0"));
    auto* loss = new QDoubleSpinBox;
    loss->setRange(0, 100);
    loss->setSuffix(QStringLiteral(" %"));
    d.form()->addRow(QObject::tr("Transport"), transport);
    d.form()->addRow(QObject::tr("Engine"), engine);
    d.form()->addRow(QObject::tr("Port"), port);
    d.form()->addRow(QObject::tr("Compute tasks"), tasks);
    d.form()->addRow(QObject::tr("Delay"), delay);
    d.form()->addRow(QObject::tr("Jitter"), jitter);
    d.form()->addRow(QObject::tr("Loss (UDP)"), loss);
    auto* residence = new QCheckBox(QObject::tr("Measure its residence"));
    residence->setObjectName(QStringLiteral("measureResidenceBox"));
    residence->setChecked(true);
    residence->setToolTip(QObject::tr(
        "The endpoint reads each request's kernel receive timestamp and measures how long it held it, "
        "so that the kernel-timestamp split divides \"wire\" into network and pong.\n"
        "It costs the endpoint one timestamp per request; untick it for a plain echo."));
    d.form()->addRow(QString(), residence);
    le::AgentEndpointSpec spec;
    d.setCheck([&] {
        try {
            spec.delay = le::parse_duration(delay->text().toStdString());
            spec.jitter = le::parse_duration(jitter->text().toStdString());
        } catch (const std::exception& e) {
            return QString::fromStdString(e.what());
        }
        return QString();
    });
    if (d.exec() != QDialog::Accepted)
        return std::nullopt;
    spec.transport = transport->currentIndex() == 1 ? le::Transport::Udp : le::Transport::Tcp;
    spec.engine = le::kAllEngines[std::size_t(engine->currentIndex())];
    spec.port = std::uint16_t(port->value());
    spec.tasks = tasks->value();
    spec.loss_percent = loss->value();
    spec.measure_residence = residence->isChecked();
    return spec;
}

} // namespace AgentDialogs
