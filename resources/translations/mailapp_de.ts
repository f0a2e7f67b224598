<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="de" sourcelanguage="en">
<context>
    <name>AboutDialog</name>
    <message>
        <source>About Mail</source>
        <translation>Über Mail</translation>
    </message>
    <message>
        <source>&lt;h2&gt;Mail {version}&lt;/h2&gt;An offline-first mail client.</source>
        <translation>&lt;h2&gt;Mail {version}&lt;/h2&gt;Ein E-Mail-Programm, das zuerst offline arbeitet.</translation>
    </message>
    <message>
        <source>Licences</source>
        <translation>Lizenzen</translation>
    </message>
    <message>
        <source>&lt;b&gt;Log file&lt;/b&gt;&lt;br&gt;{path}&lt;br&gt;Attach it when you report a problem.</source>
        <translation>&lt;b&gt;Protokolldatei&lt;/b&gt;&lt;br&gt;{path}&lt;br&gt;Hängen Sie sie an, wenn Sie ein Problem melden.</translation>
    </message>
</context>
<context>
    <name>AccountSettingsDialog</name>
    <message>
        <source>Account Settings</source>
        <translation>Kontoeinstellungen</translation>
    </message>
    <message>
        <source>Accounts</source>
        <translation>Konten</translation>
    </message>
    <message>
        <source>Address:</source>
        <translation>Adresse:</translation>
    </message>
    <message>
        <source>Server:</source>
        <translation>Server:</translation>
    </message>
    <message>
        <source>User name:</source>
        <translation>Benutzername:</translation>
    </message>
    <message>
        <source>Sync:</source>
        <translation>Synchronisierung:</translation>
    </message>
    <message>
        <source>Existing mailbox:</source>
        <translation>Bestehendes Postfach:</translation>
    </message>
    <message>
        <source>Its state:</source>
        <translation>Zustand:</translation>
    </message>
    <message>
        <source>Last synced:</source>
        <translation>Zuletzt synchronisiert:</translation>
    </message>
    <message>
        <source>Last problem:</source>
        <translation>Letztes Problem:</translation>
    </message>
    <message>
        <source>No account is signed in yet: File → Add Account…</source>
        <translation>Noch kein Konto angemeldet: Datei → Konto hinzufügen…</translation>
    </message>
    <message>
        <source>Not syncing</source>
        <translation>Keine Synchronisierung</translation>
    </message>
    <message>
        <source>Starting…</source>
        <translation>Startet…</translation>
    </message>
    <message>
        <source>Online</source>
        <translation>Online</translation>
    </message>
    <message>
        <source>Offline: the server cannot be reached</source>
        <translation>Offline: der Server ist nicht erreichbar</translation>
    </message>
    <message>
        <source>Working offline</source>
        <translation>Offline-Modus</translation>
    </message>
    <message>
        <source>Syncing…</source>
        <translation>Synchronisiere…</translation>
    </message>
    <message>
        <source>Retrying soon</source>
        <translation>Neuer Versuch in Kürze</translation>
    </message>
    <message>
        <source>Sign-in needed</source>
        <translation>Anmeldung erforderlich</translation>
    </message>
    <message>
        <source>Sync failed</source>
        <translation>Synchronisierung fehlgeschlagen</translation>
    </message>
    <message>
        <source>Not known yet: mailapp asks the server the next time it is reachable.</source>
        <translation>Noch unbekannt: mailapp fragt den Server, sobald er erreichbar ist.</translation>
    </message>
    <message>
        <source>None: this account&apos;s mail is kept by the mailapp server itself.</source>
        <translation>Keines: die Mail dieses Kontos liegt nur auf dem mailapp-Server.</translation>
    </message>
    <message>
        <source>The server keeps this account in sync with %1 at %2 (IMAP).</source>
        <translation>Der Server hält dieses Konto mit %1 auf %2 abgeglichen (IMAP).</translation>
    </message>
    <message>
        <source>Never</source>
        <translation>Nie</translation>
    </message>
    <message>
        <source>None</source>
        <translation>Keines</translation>
    </message>
    <message>
        <source>Linked; the first sync has not started yet.</source>
        <translation>Verknüpft; die erste Synchronisierung hat noch nicht begonnen.</translation>
    </message>
    <message>
        <source>Importing your mail from %1…</source>
        <translation>Ihre Mail wird von %1 importiert…</translation>
    </message>
    <message>
        <source>Up to date with %1.</source>
        <translation>Auf dem Stand von %1.</translation>
    </message>
    <message>
        <source>%1 refused the password. Ask whoever runs your mailapp server to link the account again with the right password; nothing is lost meanwhile.</source>
        <translation>%1 hat das Passwort abgelehnt. Bitten Sie den Betreiber Ihres mailapp-Servers, das Konto mit dem richtigen Passwort neu zu verknüpfen; bis dahin geht nichts verloren.</translation>
    </message>
    <message>
        <source>The mailapp server cannot reach %1 at the moment; it keeps trying.</source>
        <translation>Der mailapp-Server erreicht %1 gerade nicht; er versucht es weiter.</translation>
    </message>
    <message>
        <source>The certificate of %1 could not be verified, so the mailapp server does not connect to it. Ask whoever runs your mailapp server.</source>
        <translation>Das Zertifikat von %1 konnte nicht geprüft werden, daher verbindet sich der mailapp-Server nicht. Fragen Sie den Betreiber Ihres mailapp-Servers.</translation>
    </message>
    <message>
        <source>Syncing with %1 failed; the mailapp server keeps trying.</source>
        <translation>Die Synchronisierung mit %1 ist fehlgeschlagen; der mailapp-Server versucht es weiter.</translation>
    </message>
</context>
<context>
    <name>AccountSetup</name>
    <message>
        <source>&amp;Add Account…</source>
        <translation>Konto &amp;hinzufügen…</translation>
    </message>
</context>
<context>
    <name>AccountSetupDialog</name>
    <message>
        <source>Sign In Again</source>
        <translation>Erneut anmelden</translation>
    </message>
    <message>
        <source>Add Account</source>
        <translation>Konto hinzufügen</translation>
    </message>
    <message>
        <source>The server asks you to sign in again; your mail here is kept.</source>
        <translation>Der Server bittet Sie, sich erneut anzumelden; Ihre E-Mails auf diesem Computer bleiben erhalten.</translation>
    </message>
    <message>
        <source>Sign in to your mail server to keep this computer in sync.</source>
        <translation>Melden Sie sich bei Ihrem Mail-Server an, um diesen Computer synchron zu halten.</translation>
    </message>
    <message>
        <source>Server address</source>
        <translation>Serveradresse</translation>
    </message>
    <message>
        <source>User name</source>
        <translation>Benutzername</translation>
    </message>
    <message>
        <source>Password</source>
        <translation>Passwort</translation>
    </message>
    <message>
        <source>&amp;Server:</source>
        <translation>&amp;Server:</translation>
    </message>
    <message>
        <source>&amp;User name:</source>
        <translation>&amp;Benutzername:</translation>
    </message>
    <message>
        <source>&amp;Password:</source>
        <translation>&amp;Passwort:</translation>
    </message>
    <message>
        <source>Signing in</source>
        <translation>Anmeldung</translation>
    </message>
    <message>
        <source>Sign-in status</source>
        <translation>Anmeldestatus</translation>
    </message>
    <message>
        <source>Sign In</source>
        <translation>Anmelden</translation>
    </message>
    <message>
        <source>Continue</source>
        <translation>Weiter</translation>
    </message>
    <message>
        <source>Signing in…</source>
        <translation>Anmeldung läuft…</translation>
    </message>
    <message>
        <source>Sign-in cancelled.</source>
        <translation>Anmeldung abgebrochen.</translation>
    </message>
    <message>
        <source>Signed in as {email}. No system keyring is available, so mailapp keeps the sign-in only until you quit; you will be asked for the password next time.</source>
        <translation>Angemeldet als {email}. Es ist kein Schlüsselbund des Systems verfügbar, daher behält mailapp die Anmeldung nur bis zum Beenden; beim nächsten Start werden Sie nach dem Passwort gefragt.</translation>
    </message>
</context>
<context>
    <name>AccountSyncs</name>
    <message>
        <source>This message&apos;s account is not signed in.</source>
        <translation>Das Konto dieser Nachricht ist nicht angemeldet.</translation>
    </message>
</context>
<context>
    <name>AttachmentBar</name>
    <message>
        <source>Attachments</source>
        <translation>Anhänge</translation>
    </message>
    <message>
        <source>Save All…</source>
        <translation>Alle speichern…</translation>
    </message>
    <message>
        <source>Can run as a program: it will not be opened, only saved</source>
        <translation>Kann als Programm ausgeführt werden: wird nicht geöffnet, nur gespeichert</translation>
    </message>
    <message>
        <source>Downloading %1…</source>
        <translation>%1 wird heruntergeladen…</translation>
    </message>
    <message>
        <source>%1 is not available offline — it will download when you&apos;re back online.</source>
        <translation>%1 ist offline nicht verfügbar — es wird heruntergeladen, sobald Sie wieder online sind.</translation>
    </message>
    <message>
        <source>%1 could not be downloaded yet (%2) — trying again shortly.</source>
        <translation>%1 konnte noch nicht heruntergeladen werden (%2) — es wird gleich erneut versucht.</translation>
    </message>
    <message>
        <source>Could not download %1: %2</source>
        <translation>%1 konnte nicht heruntergeladen werden: %2</translation>
    </message>
    <message>
        <source>Opening %1 was blocked: %2</source>
        <translation>Das Öffnen von %1 wurde blockiert: %2</translation>
    </message>
    <message>
        <source>it is a Windows program</source>
        <translation>es ist ein Windows-Programm</translation>
    </message>
    <message>
        <source>it is a Linux program</source>
        <translation>es ist ein Linux-Programm</translation>
    </message>
    <message>
        <source>it is a macOS program</source>
        <translation>es ist ein macOS-Programm</translation>
    </message>
    <message>
        <source>it is a script</source>
        <translation>es ist ein Skript</translation>
    </message>
    <message>
        <source>it is a shortcut to another file or site</source>
        <translation>es ist eine Verknüpfung zu einer anderen Datei oder Website</translation>
    </message>
    <message>
        <source>it is a launcher that runs a command</source>
        <translation>es ist ein Starter, der einen Befehl ausführt</translation>
    </message>
    <message>
        <source>files of type %1 can run programs</source>
        <translation>Dateien vom Typ %1 können Programme ausführen</translation>
    </message>
    <message>
        <source>Opening Blocked</source>
        <translation>Öffnen blockiert</translation>
    </message>
    <message>
        <source>%1 was not opened: %2.</source>
        <translation>%1 wurde nicht geöffnet: %2.</translation>
    </message>
    <message>
        <source>Opening it could let its sender take over this computer. If you trust the sender and expected this file, you can save it and open it yourself.</source>
        <translation>Beim Öffnen könnte der Absender die Kontrolle über diesen Computer übernehmen. Wenn Sie dem Absender vertrauen und diese Datei erwartet haben, können Sie sie speichern und selbst öffnen.</translation>
    </message>
    <message>
        <source>Save As…</source>
        <translation>Speichern unter…</translation>
    </message>
    <message>
        <source>Could not save %1: %2</source>
        <translation>%1 konnte nicht gespeichert werden: %2</translation>
    </message>
    <message numerus="yes">
        <source>Saved %n files in %1</source>
        <translation>
            <numerusform>%n Datei in %1 gespeichert</numerusform>
            <numerusform>%n Dateien in %1 gespeichert</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Careful: %1 can run as programs; open them only if you trust the sender.</source>
        <translation>
            <numerusform>Vorsicht: %1 kann als Programm ausgeführt werden; öffnen Sie die Datei nur, wenn Sie dem Absender vertrauen.</numerusform>
            <numerusform>Vorsicht: %1 können als Programme ausgeführt werden; öffnen Sie sie nur, wenn Sie dem Absender vertrauen.</numerusform>
        </translation>
    </message>
    <message>
        <source>%1 is not available offline yet.</source>
        <translation>%1 ist noch nicht offline verfügbar.</translation>
    </message>
    <message>
        <source>&amp;Open</source>
        <translation>Ö&amp;ffnen</translation>
    </message>
    <message>
        <source>&amp;Save As…</source>
        <translation>&amp;Speichern unter…</translation>
    </message>
    <message>
        <source>Save Attachments In</source>
        <translation>Anhänge speichern in</translation>
    </message>
</context>
<context>
    <name>BodyDownloads</name>
    <message>
        <source>Downloading this message…</source>
        <translation>Diese Nachricht wird heruntergeladen…</translation>
    </message>
    <message>
        <source>This message is not available offline — it will download when you&apos;re back online.</source>
        <translation>Diese Nachricht ist offline nicht verfügbar — sie wird heruntergeladen, sobald Sie wieder online sind.</translation>
    </message>
    <message>
        <source>This message could not be downloaded yet (%1) — trying again shortly.</source>
        <translation>Diese Nachricht konnte noch nicht heruntergeladen werden (%1) — es wird gleich erneut versucht.</translation>
    </message>
    <message>
        <source>Could not download this message: %1</source>
        <translation>Diese Nachricht konnte nicht heruntergeladen werden: %1</translation>
    </message>
</context>
<context>
    <name>Composer</name>
    <message>
        <source>From</source>
        <translation>Von</translation>
    </message>
    <message>
        <source>To</source>
        <translation>An</translation>
    </message>
    <message>
        <source>Cc</source>
        <translation>Kopie (CC)</translation>
    </message>
    <message>
        <source>Bcc</source>
        <translation>Blindkopie (BCC)</translation>
    </message>
    <message>
        <source>Subject</source>
        <translation>Betreff</translation>
    </message>
    <message>
        <source>Message text</source>
        <translation>Nachrichtentext</translation>
    </message>
    <message>
        <source>name@example.org, …</source>
        <translation>name@example.org, …</translation>
    </message>
    <message>
        <source>Problem</source>
        <translation>Problem</translation>
    </message>
    <message>
        <source>Send</source>
        <translation>Senden</translation>
    </message>
    <message>
        <source>Send Later…</source>
        <translation>Später senden…</translation>
    </message>
    <message>
        <source>From:</source>
        <translation>Von:</translation>
    </message>
    <message>
        <source>To:</source>
        <translation>An:</translation>
    </message>
    <message>
        <source>Cc:</source>
        <translation>CC:</translation>
    </message>
    <message>
        <source>Bcc:</source>
        <translation>BCC:</translation>
    </message>
    <message>
        <source>Subject:</source>
        <translation>Betreff:</translation>
    </message>
    <message>
        <source>New Message</source>
        <translation>Neue Nachricht</translation>
    </message>
    <message>
        <source>Not saved</source>
        <translation>Nicht gespeichert</translation>
    </message>
    <message>
        <source>Draft saved at {time}</source>
        <translation>Entwurf um {time} gespeichert</translation>
    </message>
    <message>
        <source>{field}: {problem}</source>
        <translation>{field}: {problem}</translation>
    </message>
    <message>
        <source>Add at least one recipient in To, Cc or Bcc.</source>
        <translation>Geben Sie mindestens einen Empfänger unter An, CC oder BCC an.</translation>
    </message>
    <message>
        <source>From: the name of this identity cannot be used in a message; change it in Account Settings.</source>
        <translation>Von: Der Name dieser Identität kann in keiner Nachricht stehen; ändern Sie ihn in den Kontoeinstellungen.</translation>
    </message>
    <message>
        <source>The message was not sent: {reason}. It is kept in Drafts.</source>
        <translation>Die Nachricht wurde nicht gesendet: {reason}. Sie bleibt in den Entwürfen.</translation>
    </message>
    <message>
        <source>Not downloaded yet, so not attached: {names}. Mail is downloading them (when online): forward again once they are.</source>
        <translation>Noch nicht heruntergeladen und daher nicht angehängt: {names}. Mail lädt sie herunter (sobald online): Leiten Sie die Nachricht danach erneut weiter.</translation>
    </message>
    <message>
        <source>Not on this computer, so not attached: {names}.</source>
        <translation>Nicht auf diesem Computer und daher nicht angehängt: {names}.</translation>
    </message>
</context>
<context>
    <name>ComposerAttachments</name>
    <message>
        <source>Attachments</source>
        <translation>Anhänge</translation>
    </message>
    <message>
        <source>Attach…</source>
        <translation>Anhängen…</translation>
    </message>
    <message>
        <source>Remove attachment</source>
        <translation>Anhang entfernen</translation>
    </message>
    <message>
        <source>Remove the selected attachment</source>
        <translation>Den ausgewählten Anhang entfernen</translation>
    </message>
    <message>
        <source>Attach Files</source>
        <translation>Dateien anhängen</translation>
    </message>
    <message>
        <source>“{name}” is {size}; the server accepts attachments up to {limit}.</source>
        <translation>„{name}“ ist {size} groß; der Server nimmt Anhänge bis {limit} an.</translation>
    </message>
</context>
<context>
    <name>ConflictDialog</name>
    <message>
        <source>Subject</source>
        <translation>Betreff</translation>
    </message>
    <message>
        <source>To</source>
        <translation>An</translation>
    </message>
    <message>
        <source>Cc</source>
        <translation>CC</translation>
    </message>
    <message>
        <source>Bcc</source>
        <translation>BCC</translation>
    </message>
    <message>
        <source>Text</source>
        <translation>Text</translation>
    </message>
    <message>
        <source>Formatted text</source>
        <translation>Formatierter Text</translation>
    </message>
    <message>
        <source>In reply to</source>
        <translation>Antwort auf</translation>
    </message>
    <message>
        <source>Thread</source>
        <translation>Unterhaltung</translation>
    </message>
    <message>
        <source>Attachments</source>
        <translation>Anhänge</translation>
    </message>
    <message>
        <source>From</source>
        <translation>Von</translation>
    </message>
    <message>
        <source>Flags and labels</source>
        <translation>Markierungen und Schlagwörter</translation>
    </message>
    <message>
        <source>Folder</source>
        <translation>Ordner</translation>
    </message>
    <message>
        <source>Name</source>
        <translation>Name</translation>
    </message>
    <message>
        <source>Parent folder</source>
        <translation>Übergeordneter Ordner</translation>
    </message>
    <message>
        <source>Read</source>
        <translation>Gelesen</translation>
    </message>
    <message>
        <source>Flagged</source>
        <translation>Markiert</translation>
    </message>
    <message>
        <source>Answered</source>
        <translation>Beantwortet</translation>
    </message>
    <message>
        <source>Forwarded</source>
        <translation>Weitergeleitet</translation>
    </message>
    <message>
        <source>Draft</source>
        <translation>Entwurf</translation>
    </message>
    <message>
        <source>Keep mine</source>
        <translation>Meine behalten</translation>
    </message>
    <message>
        <source>Keep theirs</source>
        <translation>Die andere behalten</translation>
    </message>
    <message>
        <source>Keep both (save a copy)</source>
        <translation>Beide behalten (Kopie speichern)</translation>
    </message>
    <message>
        <source>Keep both</source>
        <translation>Beide behalten</translation>
    </message>
    <message>
        <source>Conflicts</source>
        <translation>Konflikte</translation>
    </message>
    <message>
        <source>Open conflicts</source>
        <translation>Offene Konflikte</translation>
    </message>
    <message>
        <source>Versions of the record</source>
        <translation>Versionen des Eintrags</translation>
    </message>
    <message>
        <source>Field</source>
        <translation>Feld</translation>
    </message>
    <message>
        <source>Before</source>
        <translation>Vorher</translation>
    </message>
    <message>
        <source>Yours</source>
        <translation>Ihre</translation>
    </message>
    <message>
        <source>Server&apos;s</source>
        <translation>Die des Servers</translation>
    </message>
    <message>
        <source>Keep</source>
        <translation>Behalten</translation>
    </message>
    <message>
        <source>Resolve</source>
        <translation>Auflösen</translation>
    </message>
    <message>
        <source>No conflicts: everything merged.</source>
        <translation>Keine Konflikte: Alles wurde zusammengeführt.</translation>
    </message>
    <message>
        <source>Draft “{subject}”</source>
        <translation>Entwurf „{subject}“</translation>
    </message>
    <message>
        <source>(no subject)</source>
        <translation>(kein Betreff)</translation>
    </message>
    <message>
        <source>Message “{subject}”</source>
        <translation>Nachricht „{subject}“</translation>
    </message>
    <message>
        <source>Folder “{name}”</source>
        <translation>Ordner „{name}“</translation>
    </message>
    <message>
        <source>Sending a message</source>
        <translation>Senden einer Nachricht</translation>
    </message>
    <message>
        <source>This was deleted on another device while you changed it here. Choose whether to keep your version.</source>
        <translation>Dies wurde auf einem anderen Gerät gelöscht, während Sie es hier geändert haben. Wählen Sie, ob Ihre Version erhalten bleiben soll.</translation>
    </message>
    <message>
        <source>This was changed here and on another device. Highlighted fields differ; choose what to keep for each.</source>
        <translation>Dies wurde hier und auf einem anderen Gerät geändert. Hervorgehobene Felder unterscheiden sich; wählen Sie für jedes, was erhalten bleiben soll.</translation>
    </message>
    <message>
        <source>(deleted)</source>
        <translation>(gelöscht)</translation>
    </message>
    <message>
        <source>Keep which {field}</source>
        <translation>Welches Feld „{field}“ behalten</translation>
    </message>
    <message>
        <source>same</source>
        <translation>gleich</translation>
    </message>
    <message>
        <source>Discard a Version?</source>
        <translation>Eine Version verwerfen?</translation>
    </message>
    <message>
        <source>Your choice drops one version of: {fields}.</source>
        <translation>Ihre Auswahl verwirft eine Version von: {fields}.</translation>
    </message>
    <message>
        <source>The dropped version cannot be recovered.</source>
        <translation>Die verworfene Version kann nicht wiederhergestellt werden.</translation>
    </message>
    <message>
        <source>Discard It</source>
        <translation>Verwerfen</translation>
    </message>
</context>
<context>
    <name>DemoLive</name>
    <message>
        <source>Mail — {who} (demo, device {number})</source>
        <translation>Mail — {who} (Demo, Gerät {number})</translation>
    </message>
    <message>
        <source>Mail — {who} (demo)</source>
        <translation>Mail — {who} (Demo)</translation>
    </message>
</context>
<context>
    <name>DraftBase</name>
    <message>
        <source>Take Theirs</source>
        <translation>Die andere übernehmen</translation>
    </message>
    <message>
        <source>Keep Mine</source>
        <translation>Meine behalten</translation>
    </message>
    <message>
        <source>This draft was changed on another device. Your text is kept here; “Take Theirs” shows the other version instead, “Keep Mine” replaces theirs with yours. Until you choose, both are kept: the next sync lists them under conflicts.</source>
        <translation>Dieser Entwurf wurde auf einem anderen Gerät geändert. Ihr Text bleibt hier erhalten; „Die andere übernehmen“ zeigt stattdessen die andere Version, „Meine behalten“ ersetzt die andere durch Ihre. Bis Sie wählen, bleiben beide erhalten: Die nächste Synchronisierung führt sie unter den Konflikten auf.</translation>
    </message>
</context>
<context>
    <name>FileCopy</name>
    <message>
        <source>Could not write {file}: {reason}. Choose another place, such as another disk or a USB stick.</source>
        <translation>{file} konnte nicht geschrieben werden: {reason}. Wählen Sie einen anderen Ort, etwa eine andere Festplatte oder einen USB-Stick.</translation>
    </message>
    <message>
        <source>A copy of this message was saved as {file}.</source>
        <translation>Eine Kopie dieser Nachricht wurde als {file} gespeichert.</translation>
    </message>
</context>
<context>
    <name>IdentityEditor</name>
    <message>
        <source>Identities</source>
        <translation>Identitäten</translation>
    </message>
    <message>
        <source>From address</source>
        <translation>Absenderadresse</translation>
    </message>
    <message>
        <source>Your name</source>
        <translation>Ihr Name</translation>
    </message>
    <message>
        <source>The name people see beside the address</source>
        <translation>Der Name, den andere neben der Adresse sehen</translation>
    </message>
    <message>
        <source>Signature</source>
        <translation>Signatur</translation>
    </message>
    <message>
        <source>&amp;From:</source>
        <translation>&amp;Von:</translation>
    </message>
    <message>
        <source>&amp;Name:</source>
        <translation>&amp;Name:</translation>
    </message>
    <message>
        <source>&amp;Signature:</source>
        <translation>&amp;Signatur:</translation>
    </message>
    <message>
        <source>Not saved: {problem}.</source>
        <translation>Nicht gespeichert: {problem}.</translation>
    </message>
</context>
<context>
    <name>LinkGuard</name>
    <message>
        <source>Open Link?</source>
        <translation>Link öffnen?</translation>
    </message>
    <message>
        <source>This link shows %1 but leads somewhere else:</source>
        <translation>Dieser Link zeigt %1 an, führt aber woandershin:</translation>
    </message>
    <message>
        <source>Links that hide their real target are a common way to steal passwords.</source>
        <translation>Links, die ihr wahres Ziel verbergen, sind ein verbreiteter Weg, Passwörter zu stehlen.</translation>
    </message>
    <message>
        <source>Open Link</source>
        <translation>Link öffnen</translation>
    </message>
</context>
<context>
    <name>MailActions</name>
    <message>
        <source>Delete permanently</source>
        <translation>Endgültig löschen</translation>
    </message>
    <message numerus="yes">
        <source>Delete %n messages permanently? This cannot be undone.</source>
        <translation>
            <numerusform>%n Nachricht endgültig löschen? Dies kann nicht rückgängig gemacht werden.</numerusform>
            <numerusform>%n Nachrichten endgültig löschen? Dies kann nicht rückgängig gemacht werden.</numerusform>
        </translation>
    </message>
    <message>
        <source>Delete drafts</source>
        <translation>Entwürfe löschen</translation>
    </message>
    <message numerus="yes">
        <source>Delete %n drafts? This cannot be undone.</source>
        <translation>
            <numerusform>%n Entwurf löschen? Dies kann nicht rückgängig gemacht werden.</numerusform>
            <numerusform>%n Entwürfe löschen? Dies kann nicht rückgängig gemacht werden.</numerusform>
        </translation>
    </message>
    <message>
        <source>&amp;Undo</source>
        <translation>&amp;Rückgängig</translation>
    </message>
    <message>
        <source>&amp;Redo</source>
        <translation>&amp;Wiederholen</translation>
    </message>
    <message>
        <source>&amp;New Message</source>
        <translation>&amp;Neue Nachricht</translation>
    </message>
    <message>
        <source>&amp;Reply</source>
        <translation>&amp;Antworten</translation>
    </message>
    <message>
        <source>Reply &amp;All</source>
        <translation>A&amp;llen antworten</translation>
    </message>
    <message>
        <source>&amp;Forward</source>
        <translation>&amp;Weiterleiten</translation>
    </message>
    <message>
        <source>Mark as &amp;Read</source>
        <translation>Als &amp;gelesen markieren</translation>
    </message>
    <message>
        <source>Mark as &amp;Unread</source>
        <translation>Als &amp;ungelesen markieren</translation>
    </message>
    <message>
        <source>&amp;Flag</source>
        <translation>Mar&amp;kieren</translation>
    </message>
    <message>
        <source>&amp;Archive</source>
        <translation>A&amp;rchivieren</translation>
    </message>
    <message>
        <source>&amp;Delete</source>
        <translation>&amp;Löschen</translation>
    </message>
    <message>
        <source>&amp;Move To</source>
        <translation>&amp;Verschieben nach</translation>
    </message>
    <message>
        <source>Un&amp;flag</source>
        <translation>Markierung ent&amp;fernen</translation>
    </message>
    <message>
        <source>Move to %1</source>
        <translation>Nach %1 verschieben</translation>
    </message>
    <message>
        <source>Mark as Read</source>
        <translation>Als gelesen markieren</translation>
    </message>
    <message>
        <source>Mark as Unread</source>
        <translation>Als ungelesen markieren</translation>
    </message>
    <message>
        <source>Flag</source>
        <translation>Markieren</translation>
    </message>
    <message>
        <source>Unflag</source>
        <translation>Markierung entfernen</translation>
    </message>
    <message>
        <source>Trash</source>
        <translation>Papierkorb</translation>
    </message>
    <message>
        <source>Delete</source>
        <translation>Löschen</translation>
    </message>
    <message numerus="yes">
        <source>%n messages moved to %1.</source>
        <translation>
            <numerusform>%n Nachricht nach %1 verschoben.</numerusform>
            <numerusform>%n Nachrichten nach %1 verschoben.</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>MailTray</name>
    <message>
        <source>Mail</source>
        <translation>Mail</translation>
    </message>
    <message>
        <source>&amp;Show Mail</source>
        <translation>Mail &amp;anzeigen</translation>
    </message>
    <message>
        <source>&amp;Do Not Disturb</source>
        <translation>&amp;Nicht stören</translation>
    </message>
</context>
<context>
    <name>MailboxTreeModel</name>
    <message>
        <source>Mailbox</source>
        <translation>Postfach</translation>
    </message>
    <message>
        <source>Unread</source>
        <translation>Ungelesen</translation>
    </message>
    <message>
        <source>Inbox</source>
        <translation>Posteingang</translation>
    </message>
    <message>
        <source>Drafts</source>
        <translation>Entwürfe</translation>
    </message>
    <message>
        <source>Sent</source>
        <translation>Gesendet</translation>
    </message>
    <message>
        <source>Archive</source>
        <translation>Archiv</translation>
    </message>
    <message>
        <source>Junk</source>
        <translation>Spam</translation>
    </message>
    <message>
        <source>Trash</source>
        <translation>Papierkorb</translation>
    </message>
    <message numerus="yes">
        <source>%n messages waiting to be sent</source>
        <translation>
            <numerusform>%n Nachricht wartet auf den Versand</numerusform>
            <numerusform>%n Nachrichten warten auf den Versand</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n unread</source>
        <translation>
            <numerusform>%n ungelesen</numerusform>
            <numerusform>%n ungelesen</numerusform>
        </translation>
    </message>
    <message>
        <source>Outbox</source>
        <translation>Postausgang</translation>
    </message>
</context>
<context>
    <name>MailboxTreeView</name>
    <message>
        <source>Mailboxes</source>
        <translation>Postfächer</translation>
    </message>
</context>
<context>
    <name>MailtoCompose</name>
    <message>
        <source>This is not a mail link: {link}</source>
        <translation>Dies ist kein E-Mail-Link: {link}</translation>
    </message>
    <message>
        <source>Add an account first (File → Add Account…) to write mail.</source>
        <translation>Fügen Sie zuerst ein Konto hinzu (Datei → Konto hinzufügen…), um E-Mails zu schreiben.</translation>
    </message>
</context>
<context>
    <name>MainWindow</name>
    <message>
        <source>&amp;File</source>
        <translation>&amp;Datei</translation>
    </message>
    <message>
        <source>Mail</source>
        <translation>Mail</translation>
    </message>
    <message>
        <source>Search mail</source>
        <translation>E-Mails durchsuchen</translation>
    </message>
    <message>
        <source>&amp;Get Mail</source>
        <translation>Nachrichten &amp;abrufen</translation>
    </message>
    <message>
        <source>Get Mail</source>
        <translation>Nachrichten abrufen</translation>
    </message>
    <message>
        <source>&amp;Work Offline</source>
        <translation>&amp;Offline arbeiten</translation>
    </message>
    <message>
        <source>&amp;Quit</source>
        <translation>&amp;Beenden</translation>
    </message>
    <message>
        <source>&amp;Search</source>
        <translation>&amp;Suchen</translation>
    </message>
    <message>
        <source>Select &amp;All</source>
        <translation>&amp;Alles auswählen</translation>
    </message>
    <message>
        <source>&amp;Conflicts…</source>
        <translation>&amp;Konflikte…</translation>
    </message>
    <message>
        <source>&amp;Newest First</source>
        <translation>&amp;Neueste zuerst</translation>
    </message>
    <message>
        <source>&amp;Oldest First</source>
        <translation>Ä&amp;lteste zuerst</translation>
    </message>
    <message>
        <source>&amp;Sender (A to Z)</source>
        <translation>&amp;Absender (A bis Z)</translation>
    </message>
    <message>
        <source>S&amp;ender (Z to A)</source>
        <translation>Ab&amp;sender (Z bis A)</translation>
    </message>
    <message>
        <source>Su&amp;bject (A to Z)</source>
        <translation>&amp;Betreff (A bis Z)</translation>
    </message>
    <message>
        <source>Sub&amp;ject (Z to A)</source>
        <translation>Be&amp;treff (Z bis A)</translation>
    </message>
    <message>
        <source>Group by &amp;Conversation</source>
        <translation>Nach &amp;Unterhaltung gruppieren</translation>
    </message>
    <message>
        <source>A&amp;ccount Settings…</source>
        <translation>&amp;Kontoeinstellungen…</translation>
    </message>
    <message>
        <source>&amp;Edit</source>
        <translation>&amp;Bearbeiten</translation>
    </message>
    <message>
        <source>&amp;View</source>
        <translation>&amp;Ansicht</translation>
    </message>
    <message>
        <source>&amp;Sort</source>
        <translation>&amp;Sortieren</translation>
    </message>
    <message>
        <source>&amp;Message</source>
        <translation>&amp;Nachricht</translation>
    </message>
    <message>
        <source>&amp;Tools</source>
        <translation>E&amp;xtras</translation>
    </message>
    <message>
        <source>Main toolbar</source>
        <translation>Hauptsymbolleiste</translation>
    </message>
    <message numerus="yes">
        <source>%n messages selected.</source>
        <translation>
            <numerusform>%n Nachricht ausgewählt.</numerusform>
            <numerusform>%n Nachrichten ausgewählt.</numerusform>
        </translation>
    </message>
    <message>
        <source>Double-click the draft or press Enter to edit it.</source>
        <translation>Doppelklicken Sie auf den Entwurf oder drücken Sie die Eingabetaste, um ihn zu bearbeiten.</translation>
    </message>
    <message>
        <source>This message no longer exists.</source>
        <translation>Diese Nachricht existiert nicht mehr.</translation>
    </message>
    <message>
        <source>No accounts yet</source>
        <translation>Noch keine Konten</translation>
    </message>
    <message numerus="yes">
        <source>%n messages found</source>
        <translation>
            <numerusform>%n Nachricht gefunden</numerusform>
            <numerusform>%n Nachrichten gefunden</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n drafts</source>
        <translation>
            <numerusform>%n Entwurf</numerusform>
            <numerusform>%n Entwürfe</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n messages</source>
        <translation>
            <numerusform>%n Nachricht</numerusform>
            <numerusform>%n Nachrichten</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>MainWindowMessages</name>
    <message>
        <source>(no subject)</source>
        <translation>(kein Betreff)</translation>
    </message>
    <message>
        <source>the file is too large</source>
        <translation>die Datei ist zu groß</translation>
    </message>
    <message>
        <source>Could not read {file}: {reason}.</source>
        <translation>{file} konnte nicht gelesen werden: {reason}.</translation>
    </message>
    <message>
        <source>{file} is not an email message; nothing was imported.</source>
        <translation>{file} ist keine E-Mail-Nachricht; es wurde nichts importiert.</translation>
    </message>
    <message numerus="yes">
        <source>%n messages imported into %1.</source>
        <translation>
            <numerusform>%n Nachricht in %1 importiert.</numerusform>
            <numerusform>%n Nachrichten in %1 importiert.</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>MessageExport</name>
    <message>
        <source>Message &amp;Source</source>
        <translation>Nachrichten&amp;quelltext</translation>
    </message>
    <message>
        <source>&amp;Save As…</source>
        <translation>&amp;Speichern unter…</translation>
    </message>
    <message>
        <source>&amp;Print…</source>
        <translation>&amp;Drucken…</translation>
    </message>
    <message>
        <source>E&amp;xport as PDF…</source>
        <translation>Als PDF e&amp;xportieren…</translation>
    </message>
    <message>
        <source>Could not save the message: {why}.</source>
        <translation>Die Nachricht konnte nicht gespeichert werden: {why}.</translation>
    </message>
    <message>
        <source>Could not write {file}: {reason}.</source>
        <translation>{file} konnte nicht geschrieben werden: {reason}.</translation>
    </message>
    <message>
        <source>The message was saved as {file}.</source>
        <translation>Die Nachricht wurde als {file} gespeichert.</translation>
    </message>
    <message>
        <source>Export as PDF</source>
        <translation>Als PDF exportieren</translation>
    </message>
    <message>
        <source>PDF files (*.pdf)</source>
        <translation>PDF-Dateien (*.pdf)</translation>
    </message>
    <message>
        <source>Message</source>
        <translation>Nachricht</translation>
    </message>
    <message>
        <source>The message was exported as {file}.</source>
        <translation>Die Nachricht wurde als {file} exportiert.</translation>
    </message>
    <message>
        <source>Could not write {file}.</source>
        <translation>{file} konnte nicht geschrieben werden.</translation>
    </message>
</context>
<context>
    <name>MessageListModel</name>
    <message>
        <source>Flagged</source>
        <translation>Markiert</translation>
    </message>
    <message>
        <source>Attachment</source>
        <translation>Anhang</translation>
    </message>
    <message>
        <source>From</source>
        <translation>Von</translation>
    </message>
    <message>
        <source>Subject</source>
        <translation>Betreff</translation>
    </message>
    <message>
        <source>Date</source>
        <translation>Datum</translation>
    </message>
    <message>
        <source>To</source>
        <translation>An</translation>
    </message>
    <message>
        <source>(no recipients)</source>
        <translation>(keine Empfänger)</translation>
    </message>
    <message>
        <source>(unknown sender)</source>
        <translation>(unbekannter Absender)</translation>
    </message>
    <message>
        <source>(no subject)</source>
        <translation>(kein Betreff)</translation>
    </message>
    <message>
        <source>Not flagged</source>
        <translation>Nicht markiert</translation>
    </message>
    <message>
        <source>Has attachments</source>
        <translation>Hat Anhänge</translation>
    </message>
    <message>
        <source>Unread, from %s</source>
        <translation>Ungelesen, von %s</translation>
    </message>
</context>
<context>
    <name>MessageListView</name>
    <message>
        <source>Messages</source>
        <translation>Nachrichten</translation>
    </message>
</context>
<context>
    <name>MessageView</name>
    <message>
        <source>Remote images were blocked to protect your privacy.</source>
        <translation>Externe Bilder wurden zum Schutz Ihrer Privatsphäre blockiert.</translation>
    </message>
    <message>
        <source>Load</source>
        <translation>Laden</translation>
    </message>
    <message>
        <source>Show this message&apos;s remote images as links</source>
        <translation>Die externen Bilder dieser Nachricht als Links anzeigen</translation>
    </message>
</context>
<context>
    <name>MessageWindow</name>
    <message>
        <source>(no subject)</source>
        <translation>(kein Betreff)</translation>
    </message>
    <message>
        <source>&amp;Close</source>
        <translation>S&amp;chließen</translation>
    </message>
    <message>
        <source>&amp;File</source>
        <translation>&amp;Datei</translation>
    </message>
    <message>
        <source>&amp;View</source>
        <translation>&amp;Ansicht</translation>
    </message>
    <message>
        <source>&amp;Message</source>
        <translation>&amp;Nachricht</translation>
    </message>
    <message>
        <source>Message toolbar</source>
        <translation>Nachrichten-Symbolleiste</translation>
    </message>
    <message>
        <source>&amp;Reply</source>
        <translation>&amp;Antworten</translation>
    </message>
    <message>
        <source>Reply &amp;All</source>
        <translation>A&amp;llen antworten</translation>
    </message>
    <message>
        <source>&amp;Forward</source>
        <translation>&amp;Weiterleiten</translation>
    </message>
</context>
<context>
    <name>NewMailWatcher</name>
    <message>
        <source>(unknown sender)</source>
        <translation>(unbekannter Absender)</translation>
    </message>
    <message>
        <source>New mail from %1</source>
        <translation>Neue E-Mail von %1</translation>
    </message>
    <message>
        <source>%1: %2</source>
        <translation>%1: %2</translation>
    </message>
    <message numerus="yes">
        <source>and %n more</source>
        <translation>
            <numerusform>und eine weitere</numerusform>
            <numerusform>und %n weitere</numerusform>
        </translation>
    </message>
    <message>
        <source>(no subject)</source>
        <translation>(kein Betreff)</translation>
    </message>
    <message numerus="yes">
        <source>%n new messages</source>
        <translation>
            <numerusform>%n neue Nachricht</numerusform>
            <numerusform>%n neue Nachrichten</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>NoticeBar</name>
    <message>
        <source>Undo</source>
        <translation>Rückgängig</translation>
    </message>
    <message>
        <source>Dismiss</source>
        <translation>Schließen</translation>
    </message>
</context>
<context>
    <name>OutboxTableModel</name>
    <message>
        <source>(no subject)</source>
        <translation>(kein Betreff)</translation>
    </message>
    <message>
        <source>no one yet</source>
        <translation>noch niemanden</translation>
    </message>
    <message numerus="yes">
        <source>{names} and %n more</source>
        <translation>
            <numerusform>{names} und %n weitere</numerusform>
            <numerusform>{names} und %n weitere</numerusform>
        </translation>
    </message>
    <message>
        <source>another folder</source>
        <translation>einen anderen Ordner</translation>
    </message>
    <message numerus="yes">
        <source>Move %n messages to {folder}</source>
        <translation>
            <numerusform>%n Nachricht nach {folder} verschieben</numerusform>
            <numerusform>%n Nachrichten nach {folder} verschieben</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Delete %n messages for good</source>
        <translation>
            <numerusform>%n Nachricht endgültig löschen</numerusform>
            <numerusform>%n Nachrichten endgültig löschen</numerusform>
        </translation>
    </message>
    <message>
        <source>Save draft “{subject}”</source>
        <translation>Entwurf „{subject}“ speichern</translation>
    </message>
    <message>
        <source>Delete draft “{subject}”</source>
        <translation>Entwurf „{subject}“ löschen</translation>
    </message>
    <message>
        <source>Send “{subject}” to {recipients}</source>
        <translation>„{subject}“ an {recipients} senden</translation>
    </message>
    <message>
        <source>Cancel sending “{subject}”</source>
        <translation>Senden von „{subject}“ abbrechen</translation>
    </message>
    <message>
        <source>Create folder “{name}”</source>
        <translation>Ordner „{name}“ anlegen</translation>
    </message>
    <message>
        <source>a folder</source>
        <translation>einen Ordner</translation>
    </message>
    <message numerus="yes">
        <source>Import %n messages into {folder}</source>
        <translation>
            <numerusform>%n Nachricht in {folder} importieren</numerusform>
            <numerusform>%n Nachrichten in {folder} importieren</numerusform>
        </translation>
    </message>
    <message>
        <source>Change folder “{name}”</source>
        <translation>Ordner „{name}“ ändern</translation>
    </message>
    <message>
        <source>Delete folder “{name}”</source>
        <translation>Ordner „{name}“ löschen</translation>
    </message>
    <message numerus="yes">
        <source>Mark %n messages read</source>
        <translation>
            <numerusform>%n Nachricht als gelesen markieren</numerusform>
            <numerusform>%n Nachrichten als gelesen markieren</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Mark %n messages unread</source>
        <translation>
            <numerusform>%n Nachricht als ungelesen markieren</numerusform>
            <numerusform>%n Nachrichten als ungelesen markieren</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Flag %n messages</source>
        <translation>
            <numerusform>%n Nachricht markieren</numerusform>
            <numerusform>%n Nachrichten markieren</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Unflag %n messages</source>
        <translation>
            <numerusform>Markierung von %n Nachricht entfernen</numerusform>
            <numerusform>Markierung von %n Nachrichten entfernen</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Change labels of %n messages</source>
        <translation>
            <numerusform>Schlagwörter von %n Nachricht ändern</numerusform>
            <numerusform>Schlagwörter von %n Nachrichten ändern</numerusform>
        </translation>
    </message>
    <message>
        <source>Sending to the server</source>
        <translation>Wird an den Server gesendet</translation>
    </message>
    <message>
        <source>Failed — retry, edit or discard it</source>
        <translation>Fehlgeschlagen — erneut versuchen, bearbeiten oder verwerfen</translation>
    </message>
    <message>
        <source>Conflict — resolve it in Conflicts</source>
        <translation>Konflikt — unter Konflikte auflösen</translation>
    </message>
    <message>
        <source>Waiting to retry</source>
        <translation>Wartet auf erneuten Versuch</translation>
    </message>
    <message>
        <source>Waiting for the next sync</source>
        <translation>Wartet auf die nächste Synchronisierung</translation>
    </message>
    <message>
        <source>Change</source>
        <translation>Änderung</translation>
    </message>
    <message>
        <source>State</source>
        <translation>Status</translation>
    </message>
    <message>
        <source>Attempts</source>
        <translation>Versuche</translation>
    </message>
    <message>
        <source>Last error</source>
        <translation>Letzter Fehler</translation>
    </message>
    <message>
        <source>Next retry</source>
        <translation>Nächster Versuch</translation>
    </message>
    <message>
        <source>now</source>
        <translation>jetzt</translation>
    </message>
    <message>
        <source>not scheduled</source>
        <translation>nicht geplant</translation>
    </message>
    <message>
        <source>next sync</source>
        <translation>nächste Synchronisierung</translation>
    </message>
</context>
<context>
    <name>OutboxView</name>
    <message>
        <source>Outbox</source>
        <translation>Postausgang</translation>
    </message>
    <message>
        <source>Changes Not Yet Synced</source>
        <translation>Noch nicht abgeglichene Änderungen</translation>
    </message>
    <message>
        <source>Show the changes not yet synced</source>
        <translation>Die noch nicht abgeglichenen Änderungen anzeigen</translation>
    </message>
    <message>
        <source>Changes waiting for the server</source>
        <translation>Änderungen, die auf den Server warten</translation>
    </message>
    <message>
        <source>Every change has reached the server.</source>
        <translation>Jede Änderung hat den Server erreicht.</translation>
    </message>
    <message>
        <source>No message is waiting to be sent.</source>
        <translation>Keine Nachricht wartet auf den Versand.</translation>
    </message>
    <message>
        <source>Retry Now</source>
        <translation>Jetzt erneut versuchen</translation>
    </message>
    <message>
        <source>Edit</source>
        <translation>Bearbeiten</translation>
    </message>
    <message>
        <source>Stop sending this message and open it as a draft</source>
        <translation>Das Senden dieser Nachricht abbrechen und sie als Entwurf öffnen</translation>
    </message>
    <message>
        <source>Discard…</source>
        <translation>Verwerfen…</translation>
    </message>
    <message numerus="yes">
        <source>%n changes not yet synced</source>
        <translation>
            <numerusform>%n Änderung noch nicht abgeglichen</numerusform>
            <numerusform>%n Änderungen noch nicht abgeglichen</numerusform>
        </translation>
    </message>
    <message>
        <source>Retrying at the next sync.</source>
        <translation>Neuer Versuch bei der nächsten Synchronisierung.</translation>
    </message>
    <message>
        <source>This message is being sent right now.</source>
        <translation>Diese Nachricht wird gerade gesendet.</translation>
    </message>
    <message>
        <source>Discard Changes</source>
        <translation>Änderungen verwerfen</translation>
    </message>
    <message>
        <source>Discard “{change}”?</source>
        <translation>„{change}“ verwerfen?</translation>
    </message>
    <message numerus="yes">
        <source>Discard %n changes?</source>
        <translation>
            <numerusform>%n Änderung verwerfen?</numerusform>
            <numerusform>%n Änderungen verwerfen?</numerusform>
        </translation>
    </message>
    <message>
        <source>The server will never see them; where possible the change is undone here.</source>
        <translation>Der Server wird sie nie erhalten; wo möglich, wird die Änderung hier rückgängig gemacht.</translation>
    </message>
    <message>
        <source>Discard</source>
        <translation>Verwerfen</translation>
    </message>
    <message>
        <source>Discarded.</source>
        <translation>Verworfen.</translation>
    </message>
    <message>
        <source>A change is being sent right now; try again in a moment.</source>
        <translation>Gerade wird eine Änderung gesendet; versuchen Sie es gleich noch einmal.</translation>
    </message>
</context>
<context>
    <name>PaneLayout</name>
    <message>
        <source>&amp;Vertical View (Three Columns)</source>
        <translation>&amp;Vertikale Ansicht (drei Spalten)</translation>
    </message>
    <message>
        <source>&amp;Classic View</source>
        <translation>&amp;Klassische Ansicht</translation>
    </message>
    <message>
        <source>&amp;Preview Line Under Subject</source>
        <translation>&amp;Vorschauzeile unter dem Betreff</translation>
    </message>
    <message>
        <source>&amp;Layout</source>
        <translation>&amp;Layout</translation>
    </message>
</context>
<context>
    <name>ReadingPane</name>
    <message>
        <source>Message</source>
        <translation>Nachricht</translation>
    </message>
    <message>
        <source>No message selected.</source>
        <translation>Keine Nachricht ausgewählt.</translation>
    </message>
    <message>
        <source>This message is not available offline.</source>
        <translation>Diese Nachricht ist offline nicht verfügbar.</translation>
    </message>
    <message>
        <source>image</source>
        <translation>Bild</translation>
    </message>
    <message numerus="yes">
        <source>%n remote resources were blocked to protect your privacy.</source>
        <translation>
            <numerusform>%n externer Inhalt wurde zum Schutz Ihrer Privatsphäre blockiert.</numerusform>
            <numerusform>%n externe Inhalte wurden zum Schutz Ihrer Privatsphäre blockiert.</numerusform>
        </translation>
    </message>
    <message>
        <source>This message&apos;s formatting is too complex to show quickly; it is shown as plain text.</source>
        <translation>Die Formatierung dieser Nachricht ist zu komplex, um sie schnell anzuzeigen; sie wird als reiner Text angezeigt.</translation>
    </message>
    <message>
        <source>This message is too long to show in full; only its beginning is shown.</source>
        <translation>Diese Nachricht ist zu lang, um sie vollständig anzuzeigen; nur ihr Anfang wird gezeigt.</translation>
    </message>
    <message>
        <source>(unknown sender)</source>
        <translation>(unbekannter Absender)</translation>
    </message>
    <message>
        <source>From</source>
        <translation>Von</translation>
    </message>
    <message>
        <source>To</source>
        <translation>An</translation>
    </message>
    <message>
        <source>Cc</source>
        <translation>CC</translation>
    </message>
    <message>
        <source>Date</source>
        <translation>Datum</translation>
    </message>
    <message>
        <source>(no subject)</source>
        <translation>(kein Betreff)</translation>
    </message>
    <message>
        <source>Attachments</source>
        <translation>Anhänge</translation>
    </message>
</context>
<context>
    <name>RecoveryOffer</name>
    <message>
        <source>Recover Drafts</source>
        <translation>Entwürfe wiederherstellen</translation>
    </message>
    <message numerus="yes">
        <source>Mail did not close properly while you were writing. These %n messages were saved before it closed:</source>
        <translation>
            <numerusform>Mail wurde nicht ordnungsgemäß beendet, während Sie geschrieben haben. Diese Nachricht wurde vorher gespeichert:</numerusform>
            <numerusform>Mail wurde nicht ordnungsgemäß beendet, während Sie geschrieben haben. Diese %n Nachrichten wurden vorher gespeichert:</numerusform>
        </translation>
    </message>
    <message>
        <source>Whatever you leave here stays in Drafts.</source>
        <translation>Was Sie hier lassen, bleibt in den Entwürfen.</translation>
    </message>
</context>
<context>
    <name>RichTextEdit</name>
    <message>
        <source>Format</source>
        <translation>Format</translation>
    </message>
    <message>
        <source>Bold</source>
        <translation>Fett</translation>
    </message>
    <message>
        <source>Italic</source>
        <translation>Kursiv</translation>
    </message>
    <message>
        <source>Bullet List</source>
        <translation>Aufzählung</translation>
    </message>
    <message>
        <source>Numbered List</source>
        <translation>Nummerierte Liste</translation>
    </message>
    <message>
        <source>Link…</source>
        <translation>Link…</translation>
    </message>
    <message>
        <source>Quote</source>
        <translation>Zitieren</translation>
    </message>
    <message>
        <source>Unquote</source>
        <translation>Zitat aufheben</translation>
    </message>
    <message>
        <source>Insert Link</source>
        <translation>Link einfügen</translation>
    </message>
    <message>
        <source>Address (URL):</source>
        <translation>Adresse (URL):</translation>
    </message>
</context>
<context>
    <name>SearchBox</name>
    <message>
        <source>Search mail</source>
        <translation>E-Mails durchsuchen</translation>
    </message>
</context>
<context>
    <name>SendLaterDialog</name>
    <message>
        <source>Send Later</source>
        <translation>Später senden</translation>
    </message>
    <message>
        <source>Send at</source>
        <translation>Senden um</translation>
    </message>
    <message>
        <source>Schedule</source>
        <translation>Planen</translation>
    </message>
    <message>
        <source>Send this message at:</source>
        <translation>Diese Nachricht senden am:</translation>
    </message>
</context>
<context>
    <name>SettingsDialog</name>
    <message>
        <source>Settings</source>
        <translation>Einstellungen</translation>
    </message>
    <message>
        <source>Recent mail</source>
        <translation>Neuere E-Mails</translation>
    </message>
    <message>
        <source>All mail</source>
        <translation>Alle E-Mails</translation>
    </message>
    <message>
        <source> days</source>
        <translation> Tage</translation>
    </message>
    <message>
        <source>None (download when opened)</source>
        <translation>Keine (beim Öffnen herunterladen)</translation>
    </message>
    <message>
        <source> min</source>
        <translation> Min.</translation>
    </message>
    <message>
        <source> s</source>
        <translation> s</translation>
    </message>
    <message>
        <source>Off (send at once)</source>
        <translation>Aus (sofort senden)</translation>
    </message>
    <message>
        <source>Always ask</source>
        <translation>Immer fragen</translation>
    </message>
    <message>
        <source>Load from senders I have written to</source>
        <translation>Von Absendern laden, denen ich geschrieben habe</translation>
    </message>
    <message>
        <source>Move with single &amp;keys: j, k, n and p</source>
        <translation>Mit einzelnen &amp;Tasten blättern: j, k, n und p</translation>
    </message>
    <message>
        <source>Do not &amp;disturb: no new-mail notices</source>
        <translation>&amp;Nicht stören: keine Hinweise auf neue E-Mails</translation>
    </message>
    <message>
        <source>Write &amp;formatted mail (HTML)</source>
        <translation>&amp;Formatierte Nachrichten schreiben (HTML)</translation>
    </message>
    <message>
        <source>Put the &amp;signature below the quote</source>
        <translation>&amp;Signatur unter das Zitat setzen</translation>
    </message>
    <message>
        <source>Keep mail &amp;bodies offline:</source>
        <translation>Nachrichten&amp;inhalte offline behalten:</translation>
    </message>
    <message>
        <source>Recent &amp;means the last:</source>
        <translation>Neuere &amp;bedeutet die letzten:</translation>
    </message>
    <message>
        <source>Check for new mail &amp;every:</source>
        <translation>Neue E-Mails &amp;abrufen alle:</translation>
    </message>
    <message>
        <source>&amp;Undo send for:</source>
        <translation>Senden &amp;rückgängig machen während:</translation>
    </message>
    <message>
        <source>&amp;Remote images:</source>
        <translation>E&amp;xterne Bilder:</translation>
    </message>
    <message>
        <source>Keyboard:</source>
        <translation>Tastatur:</translation>
    </message>
    <message>
        <source>Notifications:</source>
        <translation>Benachrichtigungen:</translation>
    </message>
    <message>
        <source>Composing:</source>
        <translation>Verfassen:</translation>
    </message>
    <message>
        <source>Older messages are downloaded when you open them. New mail arrives at once while the server is reachable; the interval is a fallback. Remote images are otherwise loaded only when you ask, one message at a time.</source>
        <translation>Ältere Nachrichten werden heruntergeladen, wenn Sie sie öffnen. Neue E-Mails kommen sofort an, solange der Server erreichbar ist; das Intervall ist nur ein Notbehelf. Externe Bilder werden sonst nur auf Ihren Wunsch geladen, für jeweils eine Nachricht.</translation>
    </message>
    <message>
        <source>Se&amp;ttings…</source>
        <translation>&amp;Einstellungen…</translation>
    </message>
</context>
<context>
    <name>Shortcuts</name>
    <message>
        <source>&amp;Next Message</source>
        <translation>&amp;Nächste Nachricht</translation>
    </message>
    <message>
        <source>&amp;Previous Message</source>
        <translation>&amp;Vorherige Nachricht</translation>
    </message>
    <message>
        <source>Next &amp;Unread Message</source>
        <translation>Nächste &amp;ungelesene Nachricht</translation>
    </message>
    <message>
        <source>P&amp;revious Unread Message</source>
        <translation>Vorherige ungelesene Nac&amp;hricht</translation>
    </message>
    <message>
        <source>&amp;About Mail</source>
        <translation>Ü&amp;ber Mail</translation>
    </message>
    <message>
        <source>&amp;Go</source>
        <translation>&amp;Gehe zu</translation>
    </message>
    <message>
        <source>&amp;Help</source>
        <translation>&amp;Hilfe</translation>
    </message>
</context>
<context>
    <name>SourceDialog</name>
    <message>
        <source>Source of “{subject}”</source>
        <translation>Quelltext von „{subject}“</translation>
    </message>
    <message>
        <source>Message source</source>
        <translation>Nachrichtenquelltext</translation>
    </message>
    <message>
        <source>Loading the message source…</source>
        <translation>Der Quelltext der Nachricht wird geladen…</translation>
    </message>
    <message>
        <source>The source could not be loaded: {why}.</source>
        <translation>Der Quelltext konnte nicht geladen werden: {why}.</translation>
    </message>
</context>
<context>
    <name>SourceLoader</name>
    <message>
        <source>this computer does not have it</source>
        <translation>er ist auf diesem Computer nicht vorhanden</translation>
    </message>
</context>
<context>
    <name>StoreUpgrade</name>
    <message>
        <source>Updating your mail</source>
        <translation>Ihre E-Mails werden aktualisiert</translation>
    </message>
    <message>
        <source>Preparing the update…</source>
        <translation>Die Aktualisierung wird vorbereitet…</translation>
    </message>
    <message>
        <source>This version of Mail keeps your mail in a new way. Updating happens once, and takes a minute or two for a large mailbox. A copy of your mail is kept first, and if the update stops, nothing is changed.</source>
        <translation>Diese Version von Mail speichert Ihre E-Mails auf neue Weise. Die Aktualisierung geschieht einmal und dauert bei einem großen Postfach ein bis zwei Minuten. Zuvor wird eine Kopie Ihrer E-Mails angelegt; bricht die Aktualisierung ab, bleibt alles unverändert.</translation>
    </message>
    <message>
        <source>Making a copy of your mail…</source>
        <translation>Eine Kopie Ihrer E-Mails wird angelegt…</translation>
    </message>
    <message>
        <source>Giving back unused disk space…</source>
        <translation>Ungenutzter Speicherplatz wird freigegeben…</translation>
    </message>
    <message>
        <source>Updating your mail: {done} of {total} messages…</source>
        <translation>Ihre E-Mails werden aktualisiert: {done} von {total} Nachrichten…</translation>
    </message>
    <message>
        <source>Updating your mail…</source>
        <translation>Ihre E-Mails werden aktualisiert…</translation>
    </message>
</context>
<context>
    <name>SyncStatus</name>
    <message>
        <source>Connection</source>
        <translation>Verbindung</translation>
    </message>
    <message>
        <source>Sync progress</source>
        <translation>Fortschritt der Synchronisierung</translation>
    </message>
    <message>
        <source>Try now</source>
        <translation>Jetzt versuchen</translation>
    </message>
    <message>
        <source>Sign in…</source>
        <translation>Anmelden…</translation>
    </message>
    <message>
        <source>Work offline</source>
        <translation>Offline arbeiten</translation>
    </message>
    <message numerus="yes">
        <source>%n changes not yet sent</source>
        <translation>
            <numerusform>%n Änderung noch nicht gesendet</numerusform>
            <numerusform>%n Änderungen noch nicht gesendet</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n conflicts</source>
        <translation>
            <numerusform>%n Konflikt</numerusform>
            <numerusform>%n Konflikte</numerusform>
        </translation>
    </message>
    <message>
        <source>Last synced %1</source>
        <translation>Zuletzt synchronisiert %1</translation>
    </message>
    <message>
        <source>Local only</source>
        <translation>Nur lokal</translation>
    </message>
    <message>
        <source>Online</source>
        <translation>Online</translation>
    </message>
    <message>
        <source>Offline</source>
        <translation>Offline</translation>
    </message>
    <message>
        <source>Working offline</source>
        <translation>Offline-Modus</translation>
    </message>
    <message>
        <source>Sign-in needed</source>
        <translation>Anmeldung erforderlich</translation>
    </message>
    <message>
        <source>Sync failed</source>
        <translation>Synchronisierung fehlgeschlagen</translation>
    </message>
    <message>
        <source>Syncing %1 of %2</source>
        <translation>Synchronisiere %1 von %2</translation>
    </message>
    <message>
        <source>Syncing…</source>
        <translation>Synchronisiere…</translation>
    </message>
    <message numerus="yes">
        <source>Retrying in %n s</source>
        <translation>
            <numerusform>Neuer Versuch in %n s</numerusform>
            <numerusform>Neuer Versuch in %n s</numerusform>
        </translation>
    </message>
    <message>
        <source>Retrying…</source>
        <translation>Neuer Versuch…</translation>
    </message>
    <message>
        <source>%1: %2</source>
        <translation>%1: %2</translation>
    </message>
</context>
<context>
    <name>UndoSendNotice</name>
    <message>
        <source>Message queued</source>
        <translation>Nachricht in der Warteschlange</translation>
    </message>
    <message>
        <source>(no subject)</source>
        <translation>(kein Betreff)</translation>
    </message>
    <message>
        <source>Undo</source>
        <translation>Rückgängig</translation>
    </message>
    <message>
        <source>“{subject}” will be sent {when}.</source>
        <translation>„{subject}“ wird {when} gesendet.</translation>
    </message>
    <message>
        <source>Sending “{subject}” in {seconds} s.</source>
        <translation>„{subject}“ wird in {seconds} s gesendet.</translation>
    </message>
</context>
<context>
    <name>UnsavedBar</name>
    <message>
        <source>Not saved</source>
        <translation>Nicht gespeichert</translation>
    </message>
    <message>
        <source>Save as File…</source>
        <translation>Als Datei speichern…</translation>
    </message>
    <message>
        <source>This window stays open: its latest text is not saved anywhere yet ({reason}).</source>
        <translation>Dieses Fenster bleibt geöffnet: Sein neuester Text ist noch nirgends gespeichert ({reason}).</translation>
    </message>
    <message>
        <source>The latest changes are not saved: {reason}.</source>
        <translation>Die neuesten Änderungen sind nicht gespeichert: {reason}.</translation>
    </message>
    <message>
        <source>Mail tries again every few seconds. To keep a copy now, save it as a file.</source>
        <translation>Mail versucht es alle paar Sekunden erneut. Um jetzt eine Kopie zu behalten, speichern Sie sie als Datei.</translation>
    </message>
    <message>
        <source>Save Message as File</source>
        <translation>Nachricht als Datei speichern</translation>
    </message>
    <message>
        <source>Email messages (*.eml)</source>
        <translation>E-Mail-Nachrichten (*.eml)</translation>
    </message>
    <message>
        <source>Message</source>
        <translation>Nachricht</translation>
    </message>
</context>
<context>
    <name>Welcome</name>
    <message>
        <source>Your mail is still opening; try again in a moment.</source>
        <translation>Ihre E-Mail wird noch geöffnet; versuchen Sie es gleich noch einmal.</translation>
    </message>
    <message>
        <source>The demo could not be started.</source>
        <translation>Die Demo konnte nicht gestartet werden.</translation>
    </message>
</context>
<context>
    <name>WelcomePage</name>
    <message>
        <source>Welcome to Mail</source>
        <translation>Willkommen bei Mail</translation>
    </message>
    <message>
        <source>Mail keeps your mail on this computer, so you can read and write while offline; whatever you do is sent when you are back online.

Add the account of your mail server to begin, or try the demo first: it opens in a window of its own and leaves this profile empty.</source>
        <translation>Mail speichert Ihre E-Mails auf diesem Computer, sodass Sie auch offline lesen und schreiben können; was Sie tun, wird gesendet, sobald Sie wieder online sind.

Fügen Sie zu Beginn das Konto Ihres Mailservers hinzu, oder probieren Sie zuerst die Demo aus: Sie öffnet sich in einem eigenen Fenster und lässt dieses Profil leer.</translation>
    </message>
    <message>
        <source>&amp;Add Account…</source>
        <translation>Konto &amp;hinzufügen…</translation>
    </message>
    <message>
        <source>Try the &amp;Demo</source>
        <translation>&amp;Demo ausprobieren</translation>
    </message>
</context>
<context>
    <name>_DraftEntry</name>
    <message>
        <source>To: {recipients}</source>
        <translation>An: {recipients}</translation>
    </message>
    <message>
        <source>No recipients yet</source>
        <translation>Noch keine Empfänger</translation>
    </message>
    <message>
        <source>Text of the recovered message</source>
        <translation>Text der wiederhergestellten Nachricht</translation>
    </message>
    <message>
        <source>Reopen</source>
        <translation>Wieder öffnen</translation>
    </message>
    <message>
        <source>Keep in Drafts</source>
        <translation>In Entwürfen behalten</translation>
    </message>
    <message>
        <source>Discard</source>
        <translation>Verwerfen</translation>
    </message>
</context>
<context>
    <name>app</name>
    <message>
        <source>Mail</source>
        <translation>Mail</translation>
    </message>
    <message>
        <source>Cannot create the profile folder {folder}: {reason}. Choose another folder with --profile or fix its permissions.</source>
        <translation>Der Profilordner {folder} kann nicht angelegt werden: {reason}. Wählen Sie mit --profile einen anderen Ordner oder korrigieren Sie seine Berechtigungen.</translation>
    </message>
    <message>
        <source>Your mail database was empty</source>
        <translation>Ihre Mail-Datenbank war leer</translation>
    </message>
    <message>
        <source>Screenshot failed</source>
        <translation>Bildschirmfoto fehlgeschlagen</translation>
    </message>
    <message>
        <source>Could not write {file}.</source>
        <translation>{file} konnte nicht geschrieben werden.</translation>
    </message>
    <message>
        <source>Saved {file}: {status}</source>
        <translation>{file} gespeichert: {status}</translation>
    </message>
    <message>
        <source>Cannot open your mail</source>
        <translation>Ihre E-Mails können nicht geöffnet werden</translation>
    </message>
    <message>
        <source>The demo could not start</source>
        <translation>Die Demo konnte nicht gestartet werden</translation>
    </message>
</context>
<context>
    <name>composer</name>
    <message>
        <source>the disk is full</source>
        <translation>die Festplatte ist voll</translation>
    </message>
    <message>
        <source>the mail database cannot be written to</source>
        <translation>in die Mail-Datenbank kann nicht geschrieben werden</translation>
    </message>
    <message>
        <source>the disk reported an error</source>
        <translation>die Festplatte hat einen Fehler gemeldet</translation>
    </message>
    <message>
        <source>another program is using the mail database</source>
        <translation>ein anderes Programm verwendet die Mail-Datenbank</translation>
    </message>
    <message>
        <source>the mail database could not be written to</source>
        <translation>in die Mail-Datenbank konnte nicht geschrieben werden</translation>
    </message>
</context>
<context>
    <name>crash</name>
    <message>
        <source>Unexpected error</source>
        <translation>Unerwarteter Fehler</translation>
    </message>
    <message>
        <source>Something went wrong: {error}
Details were written to {log}.</source>
        <translation>Etwas ist schiefgelaufen: {error}
Einzelheiten wurden in {log} geschrieben.</translation>
    </message>
</context>
</TS>
