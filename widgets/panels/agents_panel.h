#pragma once

#include "agent_connection.h"

#include <QLabel>
#include <QPushButton>
#include <QTableWidget>
#include <QTreeWidget>
#include <QWidget>

// Remote agents (`latency-pong --agent`): add one by address and token file, or start one over
// ssh; see each one's state, host facts and control round trip; start and stop pong endpoints on
// its host and measure against one exactly like a local peer (measureRequested). The agents are its
// child objects; its parts are named for tests: "agentList", "stateLabel", "factsLabel",
// "endpointTable", "addButton", "sshButton", "removeButton", "reconnectButton",
// "startEndpointButton", "stopEndpointButton", "measureButton".
class AgentsPanel : public QWidget {
    Q_OBJECT
public:
    explicit AgentsPanel(QWidget* parent = nullptr);
    ~AgentsPanel() override;

    // Adds an agent and starts connecting (over ssh: starting) at once; the panel owns it.
    AgentConnection* addAgent(const AgentTarget& target);
    void removeAgent(AgentConnection* agent);
    // Measures against the endpoint in `row` of the selected agent's table (emits measureRequested),
    // as a double click on the row does; nothing when the agent is not connected.
    void measureRow(int row);
    // The residence of `ep` when it is one of a connected agent's endpoints (AgentConnection::
    // pollResidence), polled until stopResidence(); null otherwise (a plain echo peer). Stops any
    // earlier poll.
    std::shared_ptr<le::ResidenceChunks> pollResidence(const le::Endpoint& ep);
    void stopResidence();
    // Closes every connection and stops every agent started over ssh (the window is closing).
    void shutdown();

signals:
    void measureRequested(const le::Endpoint& endpoint);
    // An agent that was connected is gone; its endpoints are gone with it.
    void agentLost(AgentConnection* agent, const QString& reason);

private:
    AgentConnection* currentAgent() const;
    // The selected agent's endpoint in the table's selected row, if any.
    std::optional<le::AgentEndpointInfo> currentEndpoint() const;
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
