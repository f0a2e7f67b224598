<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="en" sourcelanguage="en">
<context>
    <name>AttachmentBar</name>
    <message numerus="yes">
        <source>Saved %n files in %1</source>
        <translation>
            <numerusform>Saved %n file in %1</numerusform>
            <numerusform>Saved %n files in %1</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Careful: %1 can run as programs; open them only if you trust the sender.</source>
        <translation>
            <numerusform>Careful: %1 can run as a program; open it only if you trust the sender.</numerusform>
            <numerusform>Careful: %1 can run as programs; open them only if you trust the sender.</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>MailActions</name>
    <message numerus="yes">
        <source>Delete %n messages permanently? This cannot be undone.</source>
        <translation>
            <numerusform>Delete %n message permanently? This cannot be undone.</numerusform>
            <numerusform>Delete %n messages permanently? This cannot be undone.</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Delete %n drafts? This cannot be undone.</source>
        <translation>
            <numerusform>Delete %n draft? This cannot be undone.</numerusform>
            <numerusform>Delete %n drafts? This cannot be undone.</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n messages moved to %1.</source>
        <translation>
            <numerusform>%n message moved to %1.</numerusform>
            <numerusform>%n messages moved to %1.</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>MailboxTreeModel</name>
    <message numerus="yes">
        <source>%n messages waiting to be sent</source>
        <translation>
            <numerusform>%n message waiting to be sent</numerusform>
            <numerusform>%n messages waiting to be sent</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n unread</source>
        <translation>
            <numerusform>%n unread</numerusform>
            <numerusform>%n unread</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>MainWindow</name>
    <message numerus="yes">
        <source>%n messages selected.</source>
        <translation>
            <numerusform>%n message selected.</numerusform>
            <numerusform>%n messages selected.</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n messages found</source>
        <translation>
            <numerusform>%n message found</numerusform>
            <numerusform>%n messages found</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n drafts</source>
        <translation>
            <numerusform>%n draft</numerusform>
            <numerusform>%n drafts</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n messages</source>
        <translation>
            <numerusform>%n message</numerusform>
            <numerusform>%n messages</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>MainWindowMessages</name>
    <message numerus="yes">
        <source>%n messages imported into %1.</source>
        <translation>
            <numerusform>%n message imported into %1.</numerusform>
            <numerusform>%n messages imported into %1.</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>NewMailWatcher</name>
    <message numerus="yes">
        <source>%n new messages</source>
        <translation>
            <numerusform>%n new message</numerusform>
            <numerusform>%n new messages</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>and %n more</source>
        <translation>
            <numerusform>and %n more</numerusform>
            <numerusform>and %n more</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>OutboxTableModel</name>
    <message numerus="yes">
        <source>{names} and %n more</source>
        <translation>
            <numerusform>{names} and %n more</numerusform>
            <numerusform>{names} and %n more</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Move %n messages to {folder}</source>
        <translation>
            <numerusform>Move %n message to {folder}</numerusform>
            <numerusform>Move %n messages to {folder}</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Delete %n messages for good</source>
        <translation>
            <numerusform>Delete %n message for good</numerusform>
            <numerusform>Delete %n messages for good</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Import %n messages into {folder}</source>
        <translation>
            <numerusform>Import %n message into {folder}</numerusform>
            <numerusform>Import %n messages into {folder}</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Mark %n messages read</source>
        <translation>
            <numerusform>Mark %n message read</numerusform>
            <numerusform>Mark %n messages read</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Mark %n messages unread</source>
        <translation>
            <numerusform>Mark %n message unread</numerusform>
            <numerusform>Mark %n messages unread</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Flag %n messages</source>
        <translation>
            <numerusform>Flag %n message</numerusform>
            <numerusform>Flag %n messages</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Unflag %n messages</source>
        <translation>
            <numerusform>Unflag %n message</numerusform>
            <numerusform>Unflag %n messages</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Change labels of %n messages</source>
        <translation>
            <numerusform>Change labels of %n message</numerusform>
            <numerusform>Change labels of %n messages</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>OutboxView</name>
    <message numerus="yes">
        <source>%n changes not yet synced</source>
        <translation>
            <numerusform>%n change not yet synced</numerusform>
            <numerusform>%n changes not yet synced</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Discard %n changes?</source>
        <translation>
            <numerusform>Discard %n change?</numerusform>
            <numerusform>Discard %n changes?</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>ReadingPane</name>
    <message numerus="yes">
        <source>%n remote resources were blocked to protect your privacy.</source>
        <translation>
            <numerusform>%n remote resource was blocked to protect your privacy.</numerusform>
            <numerusform>%n remote resources were blocked to protect your privacy.</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>RecoveryOffer</name>
    <message numerus="yes">
        <source>Mail did not close properly while you were writing. These %n messages were saved before it closed:</source>
        <translation>
            <numerusform>Mail did not close properly while you were writing. This message was saved before it closed:</numerusform>
            <numerusform>Mail did not close properly while you were writing. These %n messages were saved before it closed:</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>SyncStatus</name>
    <message numerus="yes">
        <source>%n changes not yet sent</source>
        <translation>
            <numerusform>%n change not yet sent</numerusform>
            <numerusform>%n changes not yet sent</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n conflicts</source>
        <translation>
            <numerusform>%n conflict</numerusform>
            <numerusform>%n conflicts</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Retrying in %n s</source>
        <translation>
            <numerusform>Retrying in %n s</numerusform>
            <numerusform>Retrying in %n s</numerusform>
        </translation>
    </message>
</context>
</TS>
