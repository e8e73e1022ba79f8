#include "agents_panel.h"

#include "qt_string.h"

#include "agent_dialogs.h"
#include "units.h"

#include <QHBoxLayout>
#include <QHeaderView>
#include <QMessageBox>
#include <QVBoxLayout>

namespace {

QColor stateColour(AgentConnection::State s) {
    switch (s) {
    case AgentConnection::State::Connected:
        return QColor(0x2e, 0x7d, 0x32);
    case AgentConnection::State::Connecting:
        return QColor(0x9e, 0x9e, 0x9e);
    default:
        return QColor(0xd3, 0x2f, 0x2f);
    }
}

QString impairments(const le::AgentEndpointSpec& s) {
    QStringList parts;
    if (s.delay)
        parts << QStringLiteral("delay %1").arg(qs(le::format_duration(s.delay)));
    if (s.jitter)
        parts << QStringLiteral("±%1").arg(qs(le::format_duration(s.jitter)));
    if (s.loss_percent > 0)
        parts << QStringLiteral("loss %1%").arg(s.loss_percent);
    return parts.join(QLatin1Char(' '));
}

} // namespace

AgentsPanel::AgentsPanel(QWidget* parent)
    : QWidget(parent)
    , m_list(new QTreeWidget(this))
    , m_state(new QLabel(this))
    , m_facts(new QLabel(this))
    , m_table(new QTableWidget(0, 4, this))
    , m_add(new QPushButton(tr("&Add…"), this))
    , m_ssh(new QPushButton(tr("Start over &SSH…"), this))
    , m_remove(new QPushButton(tr("Remove"), this))
    , m_reconnect(new QPushButton(tr("&Reconnect"), this))
    , m_startEndpoint(new QPushButton(tr("Start endpoint…"), this))
    , m_stopEndpoint(new QPushButton(tr("Stop"), this))
    , m_measure(new QPushButton(tr("&Measure against this"), this)) {
    m_list->setObjectName(QStringLiteral("agentList"));
    m_state->setObjectName(QStringLiteral("stateLabel"));
    m_facts->setObjectName(QStringLiteral("factsLabel"));
    m_table->setObjectName(QStringLiteral("endpointTable"));
    m_add->setObjectName(QStringLiteral("addButton"));
    m_ssh->setObjectName(QStringLiteral("sshButton"));
    m_remove->setObjectName(QStringLiteral("removeButton"));
    m_reconnect->setObjectName(QStringLiteral("reconnectButton"));
    m_startEndpoint->setObjectName(QStringLiteral("startEndpointButton"));
    m_stopEndpoint->setObjectName(QStringLiteral("stopEndpointButton"));
    m_measure->setObjectName(QStringLiteral("measureButton"));
    m_add->setToolTip(tr("An agent already running: latency-pong --agent --control tcp://0.0.0.0:7800 "
                         "--token-file FILE"));
    m_ssh->setToolTip(tr("Start latency-pong --agent on a host through your ssh; the control channel "
                         "is tunnelled, the measured data goes direct"));
    m_list->setHeaderLabels({tr("Agent"), tr("State"), tr("Ping")});
    m_list->setRootIsDecorated(false);
    m_list->setUniformRowHeights(true);
    m_list->header()->setSectionResizeMode(0, QHeaderView::ResizeToContents);
    m_list->header()->setSectionResizeMode(1, QHeaderView::Stretch);
    m_list->header()->setSectionResizeMode(2, QHeaderView::ResizeToContents);
    m_list->setHorizontalScrollBarPolicy(
        Qt::ScrollBarAlwaysOff); // long states elide; the label below has them whole
    m_list->setMaximumHeight(110);
    m_state->setWordWrap(true);
    m_state->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_facts->setWordWrap(true);
    m_facts->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_table->setHorizontalHeaderLabels({tr("URL"), tr("Engine"), tr("Tasks"), tr("Conns")});
    m_table->verticalHeader()->hide();
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->setSelectionMode(QAbstractItemView::SingleSelection);
    m_table->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_table->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    m_table->horizontalHeader()->setSectionResizeMode(0, QHeaderView::Stretch);
    m_table->setWordWrap(false);
    m_table->setTextElideMode(Qt::ElideMiddle);
    m_table->verticalHeader()->setDefaultSectionSize(m_table->fontMetrics().height() + 6);
    m_table->setMaximumHeight(160);
    m_measure->setToolTip(tr("Measure against the selected endpoint, like an existing peer"));

    auto* layout = new QVBoxLayout(this);
    auto* top = new QHBoxLayout;
    top->addWidget(m_add);
    top->addWidget(m_ssh);
    top->addWidget(m_remove);
    layout->addLayout(top);
    layout->addWidget(m_list);
    auto* stateRow = new QHBoxLayout;
    stateRow->addWidget(m_state, 1);
    stateRow->addWidget(m_reconnect);
    layout->addLayout(stateRow);
    layout->addWidget(m_facts);
    layout->addWidget(m_table);
    auto* endpointRow = new QHBoxLayout;
    endpointRow->addWidget(m_startEndpoint);
    endpointRow->addWidget(m_stopEndpoint);
    layout->addLayout(endpointRow);
    // A row of its own: beside the other two it was cut in a dock of 350 pixels.
    layout->addWidget(m_measure);
    layout->addStretch(1);

    connect(m_add, &QPushButton::clicked, this, &AgentsPanel::addDialog);
    connect(m_ssh, &QPushButton::clicked, this, &AgentsPanel::sshDialog);
    connect(m_remove, &QPushButton::clicked, this, [this] {
        if (AgentConnection* a = currentAgent())
            removeAgent(a);
    });
    connect(m_reconnect, &QPushButton::clicked, this, [this] {
        if (AgentConnection* a = currentAgent())
            a->reconnect();
    });
    connect(m_startEndpoint, &QPushButton::clicked, this, &AgentsPanel::startEndpointDialog);
    connect(m_stopEndpoint, &QPushButton::clicked, this, [this] {
        if (const auto ep = currentEndpoint())
            currentAgent()->destroyEndpoint(ep->id);
    });
    connect(m_measure, &QPushButton::clicked, this, [this] { measureRow(m_table->currentRow()); });
    connect(m_table, &QTableWidget::cellDoubleClicked, this, [this](int row, int) { measureRow(row); });
    connect(m_list, &QTreeWidget::currentItemChanged, this, &AgentsPanel::refreshDetails);
    connect(m_table, &QTableWidget::itemSelectionChanged, this, &AgentsPanel::updateButtons);
    refreshDetails();
}

AgentsPanel::~AgentsPanel() {
    shutdown();
}

AgentConnection* AgentsPanel::addAgent(const AgentTarget& target) {
    auto* agent = new AgentConnection(target, this);
    m_agents.append(agent);
    auto* item = new QTreeWidgetItem(m_list, {agent->name(), agent->stateText(), QString()});
    item->setData(0, Qt::UserRole, QVariant::fromValue(static_cast<QObject*>(agent)));
    connect(agent, &AgentConnection::stateChanged, this, [this, agent] {
        refreshRow(agent);
        if (agent == currentAgent())
            refreshDetails();
    });
    connect(agent, &AgentConnection::pingChanged, this, [this, agent] { refreshRow(agent); });
    for (auto signal : {&AgentConnection::factsChanged, &AgentConnection::endpointsChanged})
        connect(agent, signal, this, [this, agent] {
            if (agent == currentAgent())
                refreshDetails();
        });
    connect(agent, &AgentConnection::requestFailed, this,
            [this, agent](const QString& what, const QString& why) {
                if (agent == currentAgent())
                    m_state->setText(tr("%1 failed: %2").arg(what, why));
            });
    connect(agent, &AgentConnection::lost, this,
            [this, agent](const QString& reason) { emit agentLost(agent, reason); });
    m_list->setCurrentItem(item);
    refreshRow(agent);
    return agent;
}

void AgentsPanel::removeAgent(AgentConnection* agent) {
    if (!m_agents.removeOne(agent))
        return;
    delete itemFor(agent);
    delete agent; // closes it; an ssh-started agent stops
    refreshDetails();
}

void AgentsPanel::shutdown() {
    // Every agent in parallel would be quicker, but ssh stops are bounded (3 s) and usually instant.
    for (AgentConnection* a : m_agents)
        a->shutdown();
}

AgentConnection* AgentsPanel::currentAgent() const {
    QTreeWidgetItem* item = m_list->currentItem();
    return item ? qobject_cast<AgentConnection*>(item->data(0, Qt::UserRole).value<QObject*>()) : nullptr;
}

QTreeWidgetItem* AgentsPanel::itemFor(AgentConnection* agent) const {
    for (int i = 0; i < m_list->topLevelItemCount(); ++i)
        if (m_list->topLevelItem(i)->data(0, Qt::UserRole).value<QObject*>() == agent)
            return m_list->topLevelItem(i);
    return nullptr;
}

std::optional<le::AgentEndpointInfo> AgentsPanel::currentEndpoint() const {
    AgentConnection* a = currentAgent();
    const int row = m_table->currentRow();
    if (!a || row < 0 || row >= a->endpoints().size() || m_table->selectedItems().isEmpty())
        return std::nullopt;
    return a->endpoints().at(row);
}

void AgentsPanel::measureRow(int row) {
    AgentConnection* a = currentAgent();
    if (!a || a->state() != AgentConnection::State::Connected || row < 0 || row >= a->endpoints().size())
        return;
    emit measureRequested(a->endpoints().at(row).endpoint);
}

void AgentsPanel::refreshRow(AgentConnection* agent) {
    QTreeWidgetItem* item = itemFor(agent);
    if (!item)
        return;
    item->setText(1, agent->stateText());
    item->setToolTip(1, agent->stateText());
    item->setForeground(1, stateColour(agent->state()));
    item->setText(2, agent->state() == AgentConnection::State::Connected && agent->pingMs() >= 0
                         ? tr("%1 ms").arg(agent->pingMs(), 0, 'f', agent->pingMs() < 10 ? 2 : 1)
                         : QString());
}

void AgentsPanel::refreshDetails() {
    AgentConnection* a = currentAgent();
    m_table->setRowCount(0);
    if (!a) {
        m_state->setText(tr("No agent. Add one running as `latency-pong --agent`, or start one over SSH."));
        m_state->setStyleSheet({});
        m_facts->clear();
        updateButtons();
        return;
    }
    m_state->setText(a->stateText());
    m_state->setStyleSheet(QStringLiteral("color: %1").arg(stateColour(a->state()).name()));
    const le::HostFacts& f = a->facts();
    if (f.hostname.empty())
        m_facts->clear();
    else
        m_facts->setText(tr("<b>%1</b> — %2, %3 cores — %4 — agent %5")
                             .arg(qs(f.hostname).toHtmlEscaped(), qs(f.cpu_model).toHtmlEscaped())
                             .arg(f.cores)
                             .arg(qs(f.kernel).toHtmlEscaped(), qs(f.agent_version).toHtmlEscaped()));
    // A lost agent's endpoints stay listed (greyed): they tell what was measured against.
    const bool live = a->state() == AgentConnection::State::Connected;
    for (const le::AgentEndpointInfo& e : a->endpoints()) {
        const int row = m_table->rowCount();
        m_table->insertRow(row);
        const QString extra = impairments(e.spec);
        const QStringList cells{qs(e.endpoint.url()), qs(std::string(le::to_string(e.spec.engine))),
                                QString::number(e.spec.tasks), QString::number(e.stats.active)};
        for (int c = 0; c < cells.size(); ++c) {
            auto* item = new QTableWidgetItem(cells[c]);
            if (!live)
                item->setForeground(QColor(0x9e, 0x9e, 0x9e));
            if (c == 0)
                item->setToolTip(extra.isEmpty() ? cells[0] : cells[0] + QStringLiteral(" — ") + extra);
            m_table->setItem(row, c, item);
        }
    }
    if (m_table->rowCount() > 0)
        m_table->selectRow(m_table->rowCount() - 1);
    updateButtons();
}

void AgentsPanel::updateButtons() {
    AgentConnection* a = currentAgent();
    const bool live = a && a->state() == AgentConnection::State::Connected;
    const bool down =
        a && (a->state() == AgentConnection::State::Lost || a->state() == AgentConnection::State::Failed ||
              a->state() == AgentConnection::State::WrongToken);
    m_remove->setEnabled(a != nullptr);
    m_reconnect->setVisible(down);
    m_reconnect->setEnabled(down);
    m_startEndpoint->setEnabled(live);
    const bool row = live && currentEndpoint().has_value();
    m_stopEndpoint->setEnabled(row);
    m_measure->setEnabled(row);
}

void AgentsPanel::addDialog() {
    if (const auto t = AgentDialogs::askDirect(this))
        addAgent(*t);
}

void AgentsPanel::sshDialog() {
    if (const auto t = AgentDialogs::askSsh(this))
        addAgent(*t);
}

void AgentsPanel::startEndpointDialog() {
    AgentConnection* a = currentAgent();
    if (!a)
        return;
    if (const auto spec = AgentDialogs::askEndpoint(this))
        a->createEndpoint(*spec);
}

std::shared_ptr<le::ResidenceChunks> AgentsPanel::pollResidence(const le::Endpoint& ep) {
    stopResidence();
    for (AgentConnection* a : m_agents)
        if (a->state() == AgentConnection::State::Connected && a->hasEndpoint(ep))
            return a->pollResidence(ep);
    return nullptr;
}

void AgentsPanel::stopResidence() {
    for (AgentConnection* a : m_agents)
        a->stopResidence();
}
