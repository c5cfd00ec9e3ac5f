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
error-malformed-token = This is not a case token: a token has 20 letters and digits, like XXXX-XXXX-XXXX-XXXX-XXXX. Check what you typed.
error-unknown-token = No case matches this token. Check what you typed and try again.
error-no-session = Your session has ended for your safety. Enter your case token again.
error-too-large = This is longer than the service accepts. Shorten it, or send it in several messages.
error-invalid = The message is empty or too long. Nothing was sent; your text is still below.
error-busy = The service is busy right now. Nothing was sent; please try again in a minute.
error-not-accepting = This service is not accepting reports yet. Please try again later.
error-internal = The service could not complete this. Nothing was sent; please try again later.

## Evidence files

report-evidence-label = Photos, screenshots, documents, recordings
report-evidence-hint = Optional. Location and camera data are removed from JPEG and PNG pictures before they are stored; other files (PDF, video, audio) are stored as they are, so check what they reveal about you.
submitted-evidence-title = Your files
evidence-cleaned = identifying data removed
evidence-clean-already = no identifying data found
evidence-not-cleaned = stored as it was: this kind of file could not be cleaned and may still carry data from your device
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
