#include "peer_panel.h"

#include "cpu_affinity.h"
#include "kernel_split.h"

#include <QFormLayout>
#include <QHBoxLayout>
#include <QIntValidator>

#include <algorithm>

PeerPanel::PeerPanel(QWidget* parent)
    : QWidget(parent)
    , m_mode(new QComboBox(this))
    , m_transport(new QComboBox(this))
    , m_engine(new QComboBox(this))
    , m_host(new QLineEdit(QStringLiteral("127.0.0.1"), this))
    , m_port(new QLineEdit(QStringLiteral("7700"), this))
    , m_pingCpus(new QLineEdit(this))
    , m_pongCpus(new QLineEdit(this))
    , m_start(new QPushButton(tr("&Start"), this))
    , m_stop(new QPushButton(tr("S&top"), this))
    , m_state(new QLabel(tr("idle"), this))
    , m_kernelTimestamps(new QCheckBox(tr("Kernel timestamps: split each round trip"), this)) {
    m_mode->setObjectName(QStringLiteral("modeBox"));
    m_host->setObjectName(QStringLiteral("hostEdit"));
    m_port->setObjectName(QStringLiteral("portEdit"));
    m_start->setObjectName(QStringLiteral("startButton"));
    m_stop->setObjectName(QStringLiteral("stopButton"));
    m_state->setObjectName(QStringLiteral("stateLabel"));
    m_mode->addItems({tr("Local pong (child process)"), tr("Pong in this process"), tr("Existing peer")});
    m_mode->setToolTip(tr("The child process is the default: the peer can crash or be killed without "
                          "taking the window along. Any echo service works as an existing peer."));
    m_transport->addItems({QStringLiteral("TCP"), QStringLiteral("UDP"), QStringLiteral("Unix")});
    QString engineHelp;
    for (le::EngineKind e : le::kAllEngines) {
        m_engine->addItem(QString::fromLatin1(le::to_string(e).data()));
        engineHelp += QString::fromLatin1(le::engine_description(e).data()) + QStringLiteral("\n\n");
    }
    m_engine->setToolTip(engineHelp.trimmed());
    m_host->setToolTip(tr("Host name or address of an existing echo peer"));
    m_port->setValidator(new QIntValidator(1, 65535, m_port));
    m_state->setWordWrap(true);
    m_state->setTextInteractionFlags(Qt::TextSelectableByMouse);

    auto* form = new QFormLayout(this);
    form->addRow(tr("Peer"), m_mode);
    form->addRow(tr("Transport"), m_transport);
    form->addRow(tr("Engine"), m_engine);
    m_kernelTimestamps->setObjectName(QStringLiteral("kernelTimestampsBox"));
    m_splitHelp =
        tr("Splits each round trip by the kernel's software timestamps into send (the send call → the "
           "kernel's TX stamp), wire (TX stamp → the echo's RX stamp: the network and the whole peer) and "
           "wake (RX stamp → the engine has the bytes: wake-up and dispatch), drawn beside the curves.\n\n"
           "Cost: one extra system call per round trip (reading the TX stamp back).\n\n"
           "Works with: %1. Elsewhere the records, and the window, say why there is no split.\n\n"
           "Changing it restarts the data path.")
            .arg(
                QString::fromUtf8(le::kKernelSplitSupport.data(), qsizetype(le::kKernelSplitSupport.size())));
    m_kernelTimestamps->setToolTip(m_splitHelp);
    form->addRow(m_kernelTimestamps);
    form->addRow(tr("Host"), m_host);
    form->addRow(tr("Port"), m_port);
    m_pingCpus->setPlaceholderText(tr("any"));
    m_pongCpus->setPlaceholderText(tr("any"));
    m_pingCpus->setToolTip(
        tr("Pin the ping's data path and compute tasks to these CPUs (0, 0,2, 1-3).\n"
           "Default: not pinned. On a 2-vCPU machine both ends on one CPU can be 4x faster "
           "than on two, so placement matters."));
    m_pongCpus->setToolTip(
        tr("Pin the local pong (child or in-process) to these CPUs. Default: not pinned."));
    form->addRow(tr("Ping CPUs"), m_pingCpus);
    form->addRow(tr("Pong CPUs"), m_pongCpus);
    auto* buttons = new QHBoxLayout;
    buttons->addWidget(m_start);
    buttons->addWidget(m_stop);
    form->addRow(buttons);
    form->addRow(tr("State"), m_state);

    connect(m_start, &QPushButton::clicked, this, &PeerPanel::startRequested);
    connect(m_stop, &QPushButton::clicked, this, &PeerPanel::stopRequested);
    connect(m_mode, &QComboBox::currentIndexChanged, this, &PeerPanel::updateEnabled);
    connect(m_transport, &QComboBox::currentIndexChanged, this, &PeerPanel::updateEnabled);
    connect(m_kernelTimestamps, &QCheckBox::toggled, this, [this](bool on) {
        if (!on)
            setSplitState({});
        emit kernelTimestampsChanged(on);
    });
    connect(m_engine, &QComboBox::activated, this, [this] {
        if (m_running)
            emit engineChanged();
    });
    updateEnabled();
}

le::Transport PeerPanel::transport() const {
    return std::array{le::Transport::Tcp, le::Transport::Udp,
                      le::Transport::Unix}[std::size_t(std::max(0, m_transport->currentIndex()))];
}

le::EngineKind PeerPanel::engine() const {
    return le::kAllEngines[std::size_t(
        std::clamp(m_engine->currentIndex(), 0, int(le::kAllEngines.size()) - 1))];
}

void PeerPanel::setTransport(le::Transport t) {
    m_transport->setCurrentIndex(int(t));
}
void PeerPanel::setEngine(le::EngineKind e) {
    m_engine->setCurrentIndex(
        int(std::find(le::kAllEngines.begin(), le::kAllEngines.end(), e) - le::kAllEngines.begin()));
}

le::Endpoint PeerPanel::existingPeer() const {
    const QString host = m_host->text().trimmed();
    if (host.contains(QLatin1String("://")))
        return le::parse_endpoint(host.toStdString());
    const QString scheme = QString::fromLatin1(le::to_string(transport()).data());
    if (transport() == le::Transport::Unix)
        return le::parse_endpoint(QStringLiteral("unix://%1").arg(host).toStdString());
    const QString h = host.contains(QLatin1Char(':')) ? QStringLiteral("[%1]").arg(host) : host;
    return le::parse_endpoint(QStringLiteral("%1://%2:%3").arg(scheme, h, m_port->text()).toStdString());
}

void PeerPanel::setExistingPeer(const le::Endpoint& ep) {
    setTransport(ep.transport);
    m_host->setText(ep.transport == le::Transport::Unix ? QString::fromStdString(ep.path)
                                                        : QString::fromStdString(ep.host));
    m_port->setText(QString::number(ep.port));
}

std::vector<int> PeerPanel::pingCpus() const {
    return cpuList(m_pingCpus);
}

std::vector<int> PeerPanel::pongCpus() const {
    return cpuList(m_pongCpus);
}

std::vector<int> PeerPanel::cpuList(const QLineEdit* edit) {
    const QString text = edit->text().trimmed();
    if (text.isEmpty() || text == QLatin1String("any"))
        return {};
    return le::parse_cpu_list(text.toStdString());
}

void PeerPanel::setState(const QString& text, bool running, bool failed, const QString& detail) {
    m_running = running;
    m_state->setText(text);
    m_state->setToolTip(detail);
    m_state->setStyleSheet(failed ? QStringLiteral("color: #d32f2f; font-weight: bold") : QString());
    updateEnabled();
}

void PeerPanel::setSplitState(const QString& availability) {
    const QString shown =
        availability.isEmpty() || availability == QLatin1String("yes") ? QString() : availability;
    if (shown == m_splitState)
        return;
    m_splitState = shown;
    m_kernelTimestamps->setStyleSheet(shown.isEmpty() ? QString() : QStringLiteral("color: #d32f2f"));
    m_kernelTimestamps->setToolTip(shown.isEmpty() ? m_splitHelp
                                                   : tr("Kernel split: %1").arg(shown) +
                                                         QStringLiteral("\n\n") + m_splitHelp);
}

void PeerPanel::updateEnabled() {
    const bool existing = mode() == Mode::Existing;
    m_host->setEnabled(existing && !m_running);
    m_port->setEnabled(existing && !m_running && transport() != le::Transport::Unix);
    m_mode->setEnabled(!m_running);
    m_transport->setEnabled(!m_running);
    m_pingCpus->setEnabled(!m_running);
    m_pongCpus->setEnabled(!m_running && !existing);
    m_start->setEnabled(!m_running);
    m_stop->setEnabled(m_running);
}
