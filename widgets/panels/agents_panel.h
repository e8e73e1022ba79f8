#pragma once

#include "agent_connection.h"

#include <QLabel>
#include <QPushButton>
#include <QTableWidget>
#include <QTreeWidget>
#include <QWidget>

// Remote agents (`latency-pong --agent`): add one by address and token file, or start one over
// ssh; see each one's state, host facts and control round trip; start and stop pong endpoints on
// its host and measure against one exactly like a local peer (measureRequested).
class AgentsPanel : public QWidget {
    Q_OBJECT
public:
    explicit AgentsPanel(QWidget* parent = nullptr);
    ~AgentsPanel() override;

    // Adds an agent and starts connecting (over ssh: starting) at once; the panel owns it.
    AgentConnection* addAgent(const AgentTarget& target);
    void removeAgent(AgentConnection* agent);
    QList<AgentConnection*> agents() const { return m_agents; }
    AgentConnection* currentAgent() const;
    void setCurrentAgent(AgentConnection* agent);
    // The selected agent's endpoint in the table's selected row, if any.
    std::optional<le::AgentEndpointInfo> currentEndpoint() const;
    // Measures against the endpoint in `row` of the table (emits measureRequested).
    void measureRow(int row);
    // Closes every connection and stops every agent started over ssh (the window is closing).
    void shutdown();

    QTreeWidget* agentList() const { return m_list; }
    QTableWidget* endpointTable() const { return m_table; }
    QLabel* factsLabel() const { return m_facts; }
    QLabel* stateLabel() const { return m_state; }
    QPushButton* reconnectButton() const { return m_reconnect; }
    QPushButton* startEndpointButton() const { return m_startEndpoint; }
    QPushButton* stopEndpointButton() const { return m_stopEndpoint; }
    QPushButton* measureButton() const { return m_measure; }

signals:
    void measureRequested(const le::Endpoint& endpoint);
    // An agent that was connected is gone; its endpoints are gone with it.
    void agentLost(AgentConnection* agent, const QString& reason);

private:
    void addDialog();
    void sshDialog();
    void startEndpointDialog();
    void refreshRow(AgentConnection* agent);
    void refreshDetails();
    void updateButtons();
    QTreeWidgetItem* itemFor(AgentConnection* agent) const;

    QList<AgentConnection*> m_agents;
    QTreeWidget* m_list;
    QLabel* m_state;
    QLabel* m_facts;
    QTableWidget* m_table;
    QPushButton* m_add;
    QPushButton* m_ssh;
    QPushButton* m_remove;
    QPushButton* m_reconnect;
    QPushButton* m_startEndpoint;
    QPushButton* m_stopEndpoint;
    QPushButton* m_measure;
};
