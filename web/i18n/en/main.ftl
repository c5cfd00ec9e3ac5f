# quietline reporter pages, English. Every other language has exactly these message ids
# (a unit test checks it). Keep sentences short and plain: readers may be frightened,
# in a hurry, or reading in their second language.

site-name = quietline
language-switcher = Language
quick-exit = Quick exit
footer-note = This service keeps no record of your IP address or browser, sets no cookies and runs no scripts.

## Landing page

landing-title = Report coercion, threats or infiltration safely
landing-lead = If criminals are pressuring, threatening or trying to recruit you or your colleagues, you can tell the integrity unit here without giving your name.
landing-report = Make a report
landing-have-token = I already have a case token
landing-danger-title = In immediate danger?
landing-danger-text = If your life or someone else's is at risk right now, call the emergency number (112 in Europe) first. Then report here and tick "I am in immediate danger": those reports are read first.
landing-what-happens-title = What happens to your report
landing-what-happens-1 = Your report is encrypted before it is stored. Only investigators of the integrity unit can read it, on their own computers. This server cannot read stored reports.
landing-what-happens-2 = You receive a case token. It is the only key to your case: no name, no email address, no account.
landing-what-happens-3 = The integrity unit acknowledges your report within 7 days and gives you feedback within 3 months.
landing-what-happens-4 = Come back with your token to read their questions and answers and to add information.
landing-protect-title = Protect yourself
landing-protect-device = Use a personal device and a personal network, never your employer's computer, phone or network.
landing-protect-tor = Tor Browser is the safest way to use this service: it hides your address from everyone, including us. Set it to "Safest"; this site works without JavaScript.
landing-protect-content = Think about what only you could know. Details that only a few people know can identify you; include them if they matter, and say so if they could expose you.
landing-protect-exit = The "Quick exit" button at the top of every page leaves this site at once.

## Report form

report-title = Make a report
report-intro = Write in your own words. You do not have to give your name. Nothing is sent until you press the button at the end.
report-body-label = What happened?
report-body-hint = Who approached or threatened you, what they wanted, what was said or offered, and what happened next.
report-category-label = What is it about?
category-coercion_or_threat = Coercion or threat
category-bribe_offered = Bribe offered
category-infiltration = Infiltration of the service
category-collusion = Collusion between officers and criminals
category-other = Something else
report-where-when-label = Where and when, in your own words
report-people-label = People involved
report-optional = Optional.
report-urgent-label = I am in immediate danger
report-urgent-hint = Urgent reports are shown to investigators first.
report-before-send = After sending you will see a case token once. Have paper and pen ready.
report-submit = Send the report
report-choose-category = Choose what the report is about. Nothing was sent; your text is still below.

## After submitting

submitted-title = Your report has been received
submitted-lead = It is stored encrypted. The integrity unit will acknowledge it within 7 days.
submitted-token-label = Your case token:
submitted-keep-title = Write this token down now
submitted-keep-paper = Write it on paper. This page will not show it again, and we cannot recover it.
submitted-keep-work = Do not store it on a work computer or phone, and do not email or photograph it.
submitted-keep-secret = Anyone who has the token can read your case. Keep it as safe as a house key.
submitted-keep-lost = If you lose it, you lose access to your case; you can make a new report and mention the old one.
submitted-next-title = Coming back
submitted-next-text = Come back in a few days with your token to see the status of your case, read questions from investigators and answer them.
submitted-go-to-case = Go to "My case"

## Case login

login-title = My case
login-intro = Enter your case token to see the status of your case and the conversation with the integrity unit.
login-token-label = Case token
login-token-hint = Capital or small letters, spaces and hyphens do not matter.
login-draft-label = Your message that was not sent yet (it will be kept when you log in again)
login-submit = Open my case

## Case page

case-title = Your case
case-status = Status
case-received = Received on
case-category = About
case-urgent = Immediate danger
case-urgent-yes = Yes, marked urgent
case-conversation = Conversation
case-from-you = You
case-from-unit = Integrity unit
case-add-title = Add information or answer
case-add-label = Your message
case-add-submit = Send
case-refresh = Check for new replies
case-leave = Leave my case
case-session-hint = For your safety this page forgets you after { $minutes } minutes without activity. Press "Leave my case" when you are done and close the browser.
case-message-sent = Your message has been added to the case.
case-left = You have left your case.
close-browser-hint = Now close the browser completely, so that Back cannot show these pages again. In Tor Browser, choose New Identity.
form-used = This page was already used. Type your token again.
form-report-already-sent = Your report was already sent. This page cannot send it again, and its token is not shown again.
case-unreadable = This message could not be read.
status-new = Received, not yet acknowledged
status-acknowledged = Acknowledged
status-investigating = Under investigation
status-closed = Closed
status-explain-closed = The integrity unit has closed your case. You can still read the conversation and add information.

## Case page at a glance: what happens next, new replies, dates and sizes

case-next-acknowledge = The integrity unit will acknowledge your report by { $date }.
case-next-acknowledge-late = The integrity unit should have acknowledged your report by { $date }. It has not done so yet.
case-next-feedback = The integrity unit will give you feedback by { $date }.
case-next-feedback-late = The integrity unit should have given you feedback by { $date }. It has not done so yet.
case-next-answered = The integrity unit answered on { $date }. They may ask you more questions here: come back now and then.
case-new-reply = { $count ->
    [one] New message from the integrity unit ({ $date })
   *[other] { $count } new messages from the integrity unit (latest { $date })
}
case-new = New
case-acknowledged = Acknowledged on
case-earlier = { $count ->
    [one] 1 earlier message
   *[other] { $count } earlier messages
}
date-long = { $day } { $month } { $year }
date-short = { $day } { $month }
month-1 = January
month-2 = February
month-3 = March
month-4 = April
month-5 = May
month-6 = June
month-7 = July
month-8 = August
month-9 = September
month-10 = October
month-11 = November
month-12 = December
size-bytes = { $count ->
    [one] { $count } byte
   *[other] { $count } bytes
}
size-kib = KiB
size-mib = MiB
size-gib = GiB
size-decimal = .
size-space = { " " }

## Errors

error-title = Something went wrong
error-back-hint = Nothing you typed has been stored. Use your browser's Back button to return to it.
error-home = Back to the start
error-bad-request = The form could not be read. Please try again.
error-malformed-token = This is not a case token: a token has 24 letters and digits, like XXXX-XXXX-XXXX-XXXX-XXXX-XXXX (20 for a token from before 2026-11-27). Check what you typed.
error-unknown-token = No case matches this token. Check what you typed and try again.
error-no-session = Your session has ended for your safety. Enter your case token again.
error-too-large = This is longer than the service accepts. Shorten it, or send it in several messages.
error-invalid = The message is empty or too long. Nothing was sent; your text is still below.
error-busy = The service is busy right now. Nothing was sent; please try again in a minute.
error-not-accepting = This service is not accepting reports yet. Please try again later.
error-internal = The service could not complete this. Nothing was sent; please try again later.

## Evidence files

report-evidence-label = Photos, screenshots, documents, recordings
report-evidence-hint = Optional. Location, device, author and time data are removed from JPEG and PNG pictures, PDF documents and MP4 or MOV videos before they are stored. Other files (HEIC photos, other videos, audio, office documents) are stored as they are and may reveal your phone, your name or where you were; after sending you can remove any file that could not be cleaned.
submitted-evidence-title = Your files
evidence-cleaned = identifying data removed
evidence-clean-already = no identifying data found
evidence-not-cleaned = stored as it was: this file could not be cleaned and may still carry data from your device, such as where it was made, your name or the time
evidence-deleted = removed by you: deleted for good
evidence-remove-button = Remove this file ({ $name })
evidence-file-removed = The file was removed: it is deleted for good, and the unit sees that you removed it.
error-no-such-file = This file is not in your case, or it was already removed.
case-file-removed = You removed the file { $name }.
case-uncleaned-title = Files that could not be cleaned
submitted-uncleaned = { $count ->
    [one] One file could not be cleaned and may reveal your device, your name or where you were. If in doubt, remove it below.
   *[other] { $count } files could not be cleaned and may reveal your device, your name or where you were. If in doubt, remove them below.
}
case-evidence = Files
error-file-too-large = A file is larger than the service accepts. Nothing was sent. Send smaller files, or fewer at a time.

## Alerts to investigators (mail, webhook). Content-free: counts only, never a case's
## text, category, id, token or file name.

alert-subject-urgent = Urgent report waiting
alert-subject-digest = New activity on the reporting service
alert-subject-deadlines = Deadlines on the reporting service
alert-urgent = { $count ->
    [one] 1 new urgent report.
   *[other] { $count } new urgent reports.
}
alert-new-reports = { $count ->
    [one] 1 new report.
   *[other] { $count } new reports.
}
alert-reporter-messages = { $count ->
    [one] 1 new message from a reporter.
   *[other] { $count } new messages from reporters.
}
alert-due-soon = { $count ->
    [one] 1 case has a deadline within 2 days.
   *[other] { $count } cases have a deadline within 2 days.
}
alert-overdue = { $count ->
    [one] 1 case is past a deadline.
   *[other] { $count } cases are past a deadline.
}
alert-open-desk = Open the desk to read them. This message holds no case content, on purpose.

# The token page: typing back the last group before leaving.
confirm-title = Before you leave
confirm-label = Type the last group of your token
confirm-hint = The four characters after the last hyphen, from where you wrote the token down, not from this screen.
confirm-submit = Check
confirm-wrong = That is not the last group of your token. Here is your token again: write it down carefully.
confirm-done = That is right. Keep your token safe: it is the only way back to your case.
form-files-again = If you had chosen files, choose them again: the browser does not keep them.
evidence-keep-names-label = Keep my file names
evidence-keep-names-hint = Unless you tick this, your files are stored as photo-1.jpg, document-1.pdf and so on, because names such as PXL_20261126_134502.jpg can give away your phone and the moment.
error-not-found = There is no page at this address.
error-method-not-allowed = This page cannot be used that way.

## The investigator's desk (src/desk, web/templates/desk). Every desk-* word is here, in
## one block; the English is the desk's original wording.

desk-title = Desk
desk-brand = quietline desk
desk-nav-cases = Cases
desk-nav-stats = Statistics
desk-who = { $me } at { $server }
desk-logout = Log out and stop the desk
desk-language = Language
desk-footer = Decrypted on this machine only. Pages are not cached; close the browser tab when you leave.
desk-none = none
desk-nobody = nobody
desk-status-new = new
desk-status-acknowledged = acknowledged
desk-status-investigating = investigating
desk-status-closed = closed
desk-outcome-substantiated = substantiated
desk-outcome-unsubstantiated = unsubstantiated
desk-outcome-referred = referred
desk-outcome-insufficient_information = insufficient information
desk-outcome-choice-substantiated = Substantiated
desk-outcome-choice-unsubstantiated = Unsubstantiated
desk-outcome-choice-referred = Referred to another authority
desk-outcome-choice-insufficient_information = Insufficient information
desk-category-coercion_or_threat = coercion or threat
desk-category-bribe_offered = bribe offered
desk-category-infiltration = infiltration
desk-category-collusion = collusion
desk-category-other = other
desk-label-leadership = leadership
desk-label-regulatory_framework = regulatory framework
desk-label-transparency = transparency
desk-label-automation = automation
desk-label-reform_and_modernisation = reform and modernisation
desk-label-audit_and_investigation = audit and investigation
desk-label-code_of_conduct = code of conduct
desk-label-human_resource_management = human resource management
desk-label-morale_and_organisational_culture = morale and organisational culture
desk-label-relationship_with_the_private_sector = relationship with the private sector
desk-deadline-acknowledge-overdue = { $days ->
    [one] 1 day overdue to acknowledge
   *[other] { $days } days overdue to acknowledge
}
desk-deadline-acknowledge-today = today: last day to acknowledge
desk-deadline-acknowledge-left = { $days ->
    [one] 1 day left to acknowledge
   *[other] { $days } days left to acknowledge
}
desk-deadline-feedback-overdue = { $days ->
    [one] 1 day overdue to give feedback
   *[other] { $days } days overdue to give feedback
}
desk-deadline-feedback-today = today: last day to give feedback
desk-deadline-feedback-left = { $days ->
    [one] 1 day left to give feedback
   *[other] { $days } days left to give feedback
}
desk-format-jpeg = JPEG image
desk-format-png = PNG image
desk-format-pdf = PDF document
desk-format-mp4 = MP4 video
desk-format-mov = QuickTime video
desk-format-other = not recognised
desk-notice-reply = Your reply was encrypted and sent to the reporter.
desk-notice-status = The case status was changed.
desk-notice-assignees = The assignees were changed.
desk-notice-note = The internal note was encrypted to every investigator with access and saved.
desk-notice-access = Access was granted: the colleague can now open this case.
desk-notice-labels = The labels were saved.
desk-list-title = Cases
desk-search-label = Search the decrypted text or a reference
desk-search-button = Search
desk-search-hint = Searched on this machine, in memory only; the server never sees what you search for.
desk-filter-status = Status
desk-filter-any = any
desk-filter-state = Open or closed
desk-filter-both = both
desk-filter-open = open
desk-filter-closed = closed
desk-filter-category = Category
desk-filter-label = Label
desk-filter-assignee = Assignee
desk-filter-anyone = anyone
desk-filter-me = (me)
desk-filter-order = Order
desk-order-triage = urgent first, then nearest deadline
desk-order-waiting = reporter waiting longest first
desk-order-activity = latest activity first
desk-flag-urgent = urgent
desk-flag-mine = assigned to me
desk-flag-waiting = reporter waiting
desk-flag-overdue = overdue
desk-filter-button = Filter
desk-filter-clear = Clear filters
desk-count = { $count ->
    [one] 1 case.
   *[other] { $count } cases.
}
desk-count-matching = { $count ->
    [one] 1 case matching the search.
   *[other] { $count } cases matching the search.
}
desk-column-reference = Reference
desk-column-report = Report
desk-column-status = Status
desk-column-category = Category
desk-column-deadline = Deadline
desk-column-activity = Last activity
desk-column-messages = Messages
desk-column-marks = Marks
desk-column-assignees = Assignees
desk-urgent-mark = URGENT
desk-preview-unreadable = not readable with your key
desk-mark-not-opened = not opened yet
desk-mark-replied = reporter replied
desk-mark-waiting = reporter waiting
desk-no-match = No case matches.
desk-previous = ← Previous
desk-next = Next →
desk-page = Page { $page } of { $last }
desk-case-back = ← All cases
desk-case-heading = Case
desk-case-full-id = Full id
desk-case-not-saved = The change you made was not saved: see below.
desk-fact-status = Status
desk-fact-urgent = Urgent
desk-fact-urgent-yes = Yes: the reporter says they are in immediate danger
desk-fact-urgent-no = No
desk-fact-category = Category
desk-fact-received = Received
desk-fact-acknowledge-by = Acknowledge by
desk-fact-acknowledged = acknowledged { $day }
desk-fact-feedback-by = Feedback by
desk-fact-first-reply = first reply { $day }
desk-fact-next-deadline = Next deadline
desk-fact-assignees = Assignees
desk-fact-access = Access
desk-fact-labels = Labels
desk-thread-heading = Report and conversation
desk-author-reporter = Reporter
desk-author-unit = Integrity unit
desk-where-when = Where and when
desk-people = People involved
desk-evidence-heading = Evidence files
desk-evidence-detected = detected:
desk-evidence-declared = declared:
desk-evidence-not-cleaned = Not cleaned: may still carry device data (location, camera, owner).
desk-file-removed = The reporter removed the file { $name }: it is deleted from the server.
desk-evidence-removed = Metadata removed: { $kinds }.
desk-evidence-clean = Cleaned: no metadata found.
desk-evidence-hint = A download is decrypted on this machine and saved by your browser unencrypted: keep it only where your unit's rules allow, and open it with care, since the reporter chose its content.
desk-entry-unreadable = This entry could not be decrypted.
desk-reply-heading = Reply to the reporter
desk-reply-audience = Visible to the reporter
desk-reply-label = The reporter reads this when they next open the case with their token.
desk-reply-acknowledges = A first reply to a new case also acknowledges it.
desk-reply-button = Encrypt and send reply
desk-status-heading = Status
desk-status-move = Move the case to
desk-status-outcome = Outcome (when closing)
desk-status-button = Change status
desk-status-none = No status change is possible from here.
desk-assignees-heading = Assignees
desk-assignees-no-access = (no access yet)
desk-assignees-button = Save assignees
desk-labels-heading = Labels
desk-labels-hint = Fixed words (the Revised Arusha Declaration's factors), stored in clear on the server like the category and counted in the statistics: never write case content here.
desk-labels-button = Save labels
desk-access-heading = Grant access
desk-access-colleague = Colleague
desk-access-hint = Wraps this case's key to their public key on this machine; the server never sees the case key.
desk-access-button = Grant access
desk-access-everyone = Every enabled investigator already has access.
desk-notes-heading = Internal notes
desk-notes-audience = Internal only — never shown to the reporter
desk-notes-hint = Encrypted to the investigators with access, never to the reporter.
desk-note-unreadable = Not readable with your key (written before you had access).
desk-notes-none = No notes yet.
desk-note-label = New note
desk-note-button = Encrypt and save note
desk-stats-title = Statistics
desk-stats-csv = Download as CSV
desk-stats-csv-hint = Figures only: no case content, reference or name.
desk-stats-cases = Cases
desk-stats-received = Received
desk-stats-open = Open
desk-stats-closed = Closed
desk-stats-urgent = Urgent
desk-stats-overdue-now = Open cases past a deadline today
desk-stats-deadlines = Deadlines
desk-stats-done = Done
desk-stats-within = Within deadline
desk-stats-missed = Missed, still open
desk-stats-met = Deadlines met
desk-stats-median = Median days from receipt
desk-percent = { $share }%
desk-stats-acknowledgement = Acknowledgement
desk-stats-feedback = Feedback
desk-stats-per-label = Cases per label
desk-stats-label = Label
desk-stats-count = Cases
desk-stats-no-labels = No case has a label yet.
desk-stats-received-heading = Cases received
desk-stats-month = Month
desk-stats-category = Category
desk-stats-no-cases = No cases yet.
desk-error-title = Problem
desk-error-heading = That did not work
desk-error-back = Back to the cases
desk-retry-title = Not sent
desk-retry-back = ← Back to the case
desk-retry-reply = Reply: visible to the reporter
desk-retry-note = Note: internal only — never shown to the reporter
desk-retry-button = Try again
desk-stopped-title = Desk stopped
desk-stopped-heading = Logged out
desk-stopped-notice = The session on the server has ended and the desk has stopped.
desk-stopped-next = Close this tab. Start { $command } again to continue.
desk-error-wrong-key = your key does not open this case's key: is --identity the file registered for you?
desk-error-empty-text = the text is empty; nothing was sent
desk-error-not-an-investigator = { $name } is not an investigator
desk-error-not-a-label = { $name } is not a label
desk-error-already-has-access = { $name } already has access to this case
desk-error-not-enabled = { $name } is not an enabled investigator
desk-error-no-such-page = no such page
desk-error-no-such-file = this case lists no such evidence file
desk-error-bad-file = this evidence file does not decrypt with the case key: it is damaged, or not this case's; nothing was saved
desk-error-crypto = the desk could not encrypt this; nothing was sent
desk-error-unframed = the desk made a message the reporter could not read; nothing was sent
desk-error-render = the desk failed to show this page
desk-error-internal = the desk failed; see its terminal
desk-error-unknown-status = unknown status; use acknowledged, investigating or closed
desk-error-unknown-outcome = unknown outcome; use substantiated, unsubstantiated, referred or insufficient_information
desk-error-outcome-needed = closing a case needs an outcome: substantiated, unsubstantiated, referred or insufficient_information
desk-error-outcome-without-closing = only a closed case has an outcome
desk-error-not-a-target = a case cannot be set back to new
desk-error-bad-server = { $detail } is not a server address: give https://HOST[:PORT], or http://ADDRESS.onion with --socks-proxy
desk-error-plain-http = { $detail } would send passwords and case content unencrypted: use https://, or an .onion address through --socks-proxy
desk-error-onion-without-proxy = { $detail } is an onion address: start Tor and pass --socks-proxy 127.0.0.1:9050
desk-error-bad-proxy = { $detail } is not a SOCKS proxy address: give HOST:PORT, such as 127.0.0.1:9050
desk-error-unreachable = cannot reach the server ({ $detail }); check the address, your network and Tor if you use it
desk-error-login-refused = the server did not accept this name, password and code; check them and try again
desk-error-session-ended = the session with the server has ended: restart the desk to log in again
desk-error-too-many-attempts = too many attempts: wait { $detail } and try again
desk-error-forbidden = your account may not do this: { $detail }
desk-error-not-found = no such case, or you have no access to it
desk-error-conflict = the server refused this change: { $detail }
desk-error-rejected = the server did not accept this request: { $detail }
desk-error-server = the server failed (HTTP { $detail }); try again later, and tell your administrator if it persists
desk-error-bad-answer = the server's answer was not what this desk understands ({ $detail }); are the desk and the server the same version?
desk-fact-recovery = Recovery key
desk-recovery-fingerprint = fingerprint
desk-recovery-unreadable = unreadable: not an age recipient
desk-recovery-hint = every new case is also wrapped to it; compare the fingerprint with the one your administrator reads out
desk-recovery-none = none set
desk-audit-alarm-title = WARNING: the audit log is not the one this desk saw
desk-audit-alarm-shorter = The audit log now has { $now } entries, fewer than the { $seen } this desk saw: entries were deleted from it.
desk-audit-alarm-forked = The audit log ({ $now } entries) no longer holds the head this desk saw after { $seen } entries: it was cut short or rewritten.
desk-audit-alarm-broken = The audit log does not verify: { $reason }
desk-audit-alarm-unchecked = The audit log could not be checked against this desk's record: { $reason }
desk-audit-alarm-seen-head = Head this desk saw:
desk-audit-alarm-advice = Do not trust the server's record of who did what until this is explained. Tell another administrator, run quietline audit verify --expect with a head kept off the server, and keep this desk's record file as it is.

## Desk: settings (alert address, recipients waiting for a second administrator)
desk-nav-settings = Settings
desk-settings-title = Settings
desk-settings-alerts = Your alerts
desk-settings-alerts-intro = Alerts say only how many reports arrived, never what they say. Urgent reports are sent at once to every investigator who set an address here.
desk-settings-address = Mail address for your alerts
desk-settings-digests = Also send me the regular digests (new reports, reporters' messages, deadlines)
desk-settings-save = Save
desk-settings-clear = Stop sending alerts to me
desk-settings-address-privacy = The server keeps this address in clear to send the mail, and your mail provider sees when alerts arrive. Use an address that does not reveal more than you want it to.
desk-settings-alerts-saved = Your alert settings are saved.
desk-settings-pending = Recipients waiting for confirmation
desk-settings-pending-intro = New cases are not encrypted to these keys until a second administrator confirms them. Before you confirm, have the key's owner read out its fingerprint over another channel (a phone call), and compare it with the one here.
desk-settings-pending-who = Whose key
desk-settings-fingerprint = Fingerprint
desk-settings-proposed-by = Proposed by
desk-settings-recovery = The organisation's recovery key
desk-settings-no-fingerprint = This is not a valid key: do not confirm it.
desk-settings-confirm = Confirm this key
desk-settings-not-yours-role = An administrator confirms it.
desk-settings-not-yours-proposer = You proposed it: another administrator confirms it.
desk-settings-not-yours-own = This is your key: another administrator confirms it.
desk-settings-none-pending = No key is waiting for confirmation.
desk-settings-confirmed = The key is confirmed: new cases are encrypted to it from now on.
