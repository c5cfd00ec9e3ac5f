# Pages de signalement de quietline, en français. Toutes les langues ont exactement les mêmes identifiants
# de message (un test unitaire le vérifie). Gardez des phrases courtes et simples : les lecteurs peuvent
# avoir peur, être pressés ou lire dans leur deuxième langue.

site-name = quietline
language-switcher = Langue
quick-exit = Sortie rapide
footer-note = Ce service ne garde aucune trace de votre adresse IP ni de votre navigateur. Il ne dépose aucun cookie et n'exécute aucun script.

## Page d'accueil

landing-title = Signaler en sécurité une contrainte, des menaces ou une infiltration
landing-lead = Si vous ou vos collègues subissez des pressions, des menaces ou des tentatives de recrutement de la part de criminels, vous pouvez le signaler ici à la cellule d'intégrité, sans donner votre nom.
landing-report = Faire un signalement
landing-have-token = J'ai déjà un code de dossier
landing-danger-title = En danger immédiat ?
landing-danger-text = Si votre vie ou celle d'une autre personne est menacée en ce moment, appelez d'abord le numéro d'urgence (112 en Europe). Ensuite, faites votre signalement ici et cochez « Je suis en danger immédiat » : ces signalements sont lus en priorité.
landing-what-happens-title = Ce que devient votre signalement
landing-what-happens-1 = Votre signalement est chiffré avant d'être enregistré. Seuls les enquêteurs de la cellule d'intégrité peuvent le lire, sur leurs propres ordinateurs. Ce serveur ne peut pas lire les signalements enregistrés.
landing-what-happens-2 = Vous recevez un code de dossier. C'est la seule clé d'accès à votre dossier : pas de nom, pas d'adresse e-mail, pas de compte.
landing-what-happens-3 = La cellule d'intégrité accuse réception de votre signalement dans les 7 jours et vous donne un retour dans les 3 mois.
landing-what-happens-4 = Revenez avec votre code pour lire les questions et les réponses de la cellule, et pour ajouter des informations.
landing-protect-title = Protégez-vous
landing-protect-device = Utilisez un appareil et un réseau personnels. N'utilisez jamais l'ordinateur, le téléphone ou le réseau de votre employeur.
landing-protect-tor = Tor Browser est le moyen le plus sûr d'utiliser ce service : il cache votre adresse à tout le monde, y compris à nous. Réglez son niveau de sécurité sur « Le plus sûr » ; ce site fonctionne sans JavaScript.
landing-protect-content = Pensez à ce que personne d'autre que vous ne peut savoir. Des détails connus de peu de personnes peuvent vous identifier. Donnez-les s'ils sont importants, et précisez s'ils risquent de vous exposer.
landing-protect-exit = Le bouton « Sortie rapide », en haut de chaque page, vous fait quitter ce site immédiatement.

## Formulaire de signalement

report-title = Faire un signalement
report-intro = Écrivez avec vos propres mots. Vous n'avez pas à donner votre nom. Rien n'est envoyé tant que vous n'avez pas appuyé sur le bouton en bas de la page.
report-body-label = Que s'est-il passé ?
report-body-hint = Qui a pris contact avec vous ou vous a fait des menaces, ce que ces personnes voulaient, ce qui a été dit ou proposé, et ce qui s'est passé ensuite.
report-category-label = De quoi s'agit-il ?
category-coercion_or_threat = Contrainte ou menace
category-bribe_offered = Offre de pot-de-vin
category-infiltration = Infiltration de votre service
category-collusion = Collusion entre agents et criminels
category-other = Autre chose
report-where-when-label = Où et quand, avec vos propres mots
report-people-label = Personnes impliquées
report-optional = Facultatif.
report-urgent-label = Je suis en danger immédiat
report-urgent-hint = Les signalements urgents sont montrés en premier aux enquêteurs.
report-before-send = Après l'envoi, vous verrez un code de dossier une seule fois. Préparez une feuille et un stylo.
report-submit = Envoyer le signalement
report-choose-category = Choisissez l'objet du signalement. Rien n'a été envoyé ; votre texte se trouve toujours ci-dessous.

## Après l'envoi

submitted-title = Votre signalement a été reçu
submitted-lead = Il est enregistré sous forme chiffrée. La cellule d'intégrité en accusera réception dans les 7 jours.
submitted-token-label = Votre code de dossier :
submitted-keep-title = Notez ce code maintenant
submitted-keep-paper = Écrivez-le sur papier. Cette page ne l'affichera plus, et nous ne pouvons pas le retrouver.
submitted-keep-work = Ne l'enregistrez pas sur un ordinateur ou un téléphone professionnel. Ne l'envoyez pas par e-mail et ne le prenez pas en photo.
submitted-keep-secret = Toute personne qui a ce code peut lire votre dossier. Gardez-le aussi soigneusement que la clé de votre domicile.
submitted-keep-lost = Si vous le perdez, vous perdez l'accès à votre dossier. Vous pouvez alors faire un nouveau signalement et y mentionner l'ancien.
submitted-next-title = Revenir plus tard
submitted-next-text = Revenez dans quelques jours avec votre code pour voir l'état de votre dossier, lire les questions des enquêteurs et y répondre.
submitted-go-to-case = Aller à « Mon dossier »

## Accès au dossier

login-title = Mon dossier
login-intro = Saisissez votre code de dossier pour voir l'état de votre dossier et la conversation avec la cellule d'intégrité.
login-token-label = Code de dossier
login-token-hint = Les majuscules, les minuscules, les espaces et les tirets n'ont pas d'importance.
login-draft-label = Votre message qui n'a pas encore été envoyé (il sera conservé quand vous vous reconnecterez)
login-submit = Ouvrir mon dossier

## Page du dossier

case-title = Votre dossier
case-status = État
case-received = Reçu le
case-category = Objet
case-urgent = Danger immédiat
case-urgent-yes = Oui, marqué comme urgent
case-conversation = Conversation
case-from-you = Vous
case-from-unit = Cellule d'intégrité
case-add-title = Ajouter des informations ou répondre
case-add-label = Votre message
case-add-submit = Envoyer
case-refresh = Voir s'il y a de nouvelles réponses
case-leave = Quitter mon dossier
case-session-hint = Pour votre sécurité, cette page vous déconnecte après { $minutes } minutes d'inactivité. Quand vous avez terminé, appuyez sur « Quitter mon dossier » puis fermez le navigateur.
case-message-sent = Votre message a été ajouté au dossier.
case-left = Vous avez quitté votre dossier.
close-browser-hint = Fermez maintenant complètement le navigateur, pour que le bouton Retour ne puisse plus afficher ces pages. Dans Tor Browser, choisissez Nouvelle identité.
form-used = Cette page a déjà été utilisée. Saisissez à nouveau votre code.
form-report-already-sent = Votre signalement a déjà été envoyé. Cette page ne peut pas l'envoyer une deuxième fois, et son code n'est plus affiché.
case-unreadable = Ce message n'a pas pu être lu.
status-new = Reçu, accusé de réception pas encore envoyé
status-acknowledged = Accusé de réception envoyé
status-investigating = Enquête en cours
status-closed = Clôturé
status-explain-closed = La cellule d'intégrité a clôturé votre dossier. Vous pouvez toujours lire la conversation et ajouter des informations.

## La page du dossier d'un coup d'œil : la suite, les nouvelles réponses, dates et tailles

case-next-acknowledge = La cellule d'intégrité accusera réception de votre signalement au plus tard le { $date }.
case-next-acknowledge-late = La cellule d'intégrité aurait dû accuser réception de votre signalement au plus tard le { $date }. Elle ne l'a pas encore fait.
case-next-feedback = La cellule d'intégrité vous fera un retour au plus tard le { $date }.
case-next-feedback-late = La cellule d'intégrité aurait dû vous faire un retour au plus tard le { $date }. Elle ne l'a pas encore fait.
case-next-answered = La cellule d'intégrité vous a répondu le { $date }. Elle peut vous poser d'autres questions ici : revenez de temps en temps.
case-new-reply = { $count ->
    [one] Nouveau message de la cellule d'intégrité ({ $date })
   *[other] { $count } nouveaux messages de la cellule d'intégrité (le dernier le { $date })
}
case-new = Nouveau
case-acknowledged = Accusé de réception le
case-earlier = { $count ->
    [one] 1 message précédent
   *[other] { $count } messages précédents
}
date-long = { $day ->
    [1] 1er
   *[other] { $day }
} { $month } { $year }
date-short = { $day ->
    [1] 1er
   *[other] { $day }
} { $month }
month-1 = janvier
month-2 = février
month-3 = mars
month-4 = avril
month-5 = mai
month-6 = juin
month-7 = juillet
month-8 = août
month-9 = septembre
month-10 = octobre
month-11 = novembre
month-12 = décembre
size-bytes = { $count ->
    [one] { $count } octet
   *[other] { $count } octets
}
size-kib = Kio
size-mib = Mio
size-gib = Gio
size-decimal = ,
size-space = { "\u00A0" }

## Erreurs

error-title = Un problème est survenu
error-back-hint = Rien de ce que vous avez saisi n'a été enregistré. Utilisez le bouton Retour de votre navigateur pour y revenir.
error-home = Retour à l'accueil
error-bad-request = Le formulaire n'a pas pu être lu. Veuillez réessayer.
error-malformed-token = Ce n'est pas un code de dossier : un code comporte 24 lettres et chiffres, comme XXXX-XXXX-XXXX-XXXX-XXXX-XXXX (20 pour un code antérieur au 27/11/2026). Vérifiez ce que vous avez saisi.
error-unknown-token = Aucun dossier ne correspond à ce code. Vérifiez ce que vous avez saisi et réessayez.
error-no-session = Pour votre sécurité, votre session a pris fin. Saisissez à nouveau votre code de dossier.
error-too-large = Ce texte est plus long que ce que le service accepte. Raccourcissez-le ou envoyez-le en plusieurs messages.
error-invalid = Le message est vide ou trop long. Rien n'a été envoyé ; votre texte se trouve toujours ci-dessous.
error-busy = Le service est surchargé en ce moment. Rien n'a été envoyé ; veuillez réessayer dans une minute.
error-not-accepting = Ce service n'accepte pas encore de signalements. Veuillez réessayer plus tard.
error-internal = Le service n'a pas pu terminer cette opération. Rien n'a été envoyé ; veuillez réessayer plus tard.

## Fichiers de preuve

report-evidence-label = Photos, captures d'écran, documents, enregistrements
report-evidence-hint = Facultatif. Les données de lieu, d'appareil, d'auteur et de date sont retirées des images JPEG et PNG, des documents PDF et des vidéos MP4 ou MOV avant leur stockage. Les autres fichiers (photos HEIC, autres vidéos, audio, documents bureautiques) sont conservés tels quels et peuvent révéler votre téléphone, votre nom ou l'endroit où vous étiez ; après l'envoi, vous pourrez retirer tout fichier qui n'a pas pu être nettoyé.
submitted-evidence-title = Vos fichiers
evidence-cleaned = données identifiantes retirées
evidence-clean-already = aucune donnée identifiante trouvée
evidence-not-cleaned = conservé tel quel : ce fichier n'a pas pu être nettoyé et peut encore contenir des données de votre appareil, comme le lieu où il a été créé, votre nom ou l'heure
evidence-deleted = retiré par vous : supprimé définitivement
evidence-remove-button = Retirer ce fichier ({ $name })
evidence-file-removed = Le fichier a été retiré : il est supprimé définitivement, et l'unité voit que vous l'avez retiré.
error-no-such-file = Ce fichier n'est pas dans votre dossier, ou il a déjà été retiré.
case-file-removed = Vous avez retiré le fichier { $name }.
case-uncleaned-title = Fichiers qui n'ont pas pu être nettoyés
submitted-uncleaned = { $count ->
    [one] Un fichier n'a pas pu être nettoyé et peut révéler votre appareil, votre nom ou l'endroit où vous étiez. En cas de doute, retirez-le ci-dessous.
   *[other] { $count } fichiers n'ont pas pu être nettoyés et peuvent révéler votre appareil, votre nom ou l'endroit où vous étiez. En cas de doute, retirez-les ci-dessous.
}
case-evidence = Fichiers
error-file-too-large = Un fichier dépasse la taille acceptée par le service. Rien n'a été envoyé. Envoyez des fichiers plus petits, ou moins à la fois.

## Alertes aux enquêteurs (courriel, webhook). Sans contenu : des nombres seulement.

alert-subject-urgent = Signalement urgent en attente
alert-subject-digest = Nouvelle activité sur le service de signalement
alert-subject-deadlines = Délais sur le service de signalement
alert-urgent = { $count ->
    [one] { $count } nouveau signalement urgent.
   *[other] { $count } nouveaux signalements urgents.
}
alert-new-reports = { $count ->
    [one] { $count } nouveau signalement.
   *[other] { $count } nouveaux signalements.
}
alert-reporter-messages = { $count ->
    [one] { $count } nouveau message d'un lanceur d'alerte.
   *[other] { $count } nouveaux messages de lanceurs d'alerte.
}
alert-due-soon = { $count ->
    [one] { $count } dossier arrive à échéance dans les 2 jours.
   *[other] { $count } dossiers arrivent à échéance dans les 2 jours.
}
alert-overdue = { $count ->
    [one] { $count } dossier a dépassé un délai.
   *[other] { $count } dossiers ont dépassé un délai.
}
alert-open-desk = Ouvrez le poste d'enquête pour les lire. Ce message ne contient volontairement aucun contenu de dossier.

# The token page: typing back the last group before leaving.
confirm-title = Avant de partir
confirm-label = Saisissez le dernier groupe de votre code
confirm-hint = Les quatre caractères après le dernier tiret, recopiés de l'endroit où vous avez noté le code, pas de cet écran.
confirm-submit = Vérifier
confirm-wrong = Ce n'est pas le dernier groupe de votre code. Le voici à nouveau : notez-le avec soin.
confirm-done = C'est juste. Gardez votre code en lieu sûr : c'est le seul moyen de revenir à votre dossier.
form-files-again = Si vous aviez choisi des fichiers, choisissez-les à nouveau : le navigateur ne les garde pas.
evidence-keep-names-label = Garder les noms de mes fichiers
evidence-keep-names-hint = Sans cette case, vos fichiers sont enregistrés sous les noms photo-1.jpg, document-1.pdf, etc., car un nom comme PXL_20261126_134502.jpg peut révéler votre téléphone et le moment.
error-not-found = Il n'y a pas de page à cette adresse.
error-method-not-allowed = Cette page ne peut pas être utilisée de cette façon.

## Le poste d'enquête (src/desk, web/templates/desk). Tous les mots desk-* sont ici, en
## un seul bloc.

desk-title = Poste
desk-brand = poste d'enquête quietline
desk-nav-cases = Dossiers
desk-nav-stats = Statistiques
desk-who = { $me } sur { $server }
desk-logout = Se déconnecter et arrêter le poste
desk-language = Langue
desk-footer = Déchiffré sur cette machine uniquement. Les pages ne sont pas mises en cache ; fermez l'onglet en partant.
desk-none = aucune
desk-nobody = personne
desk-status-new = nouveau
desk-status-acknowledged = accusé de réception envoyé
desk-status-investigating = enquête en cours
desk-status-closed = clôturé
desk-outcome-substantiated = fondé
desk-outcome-unsubstantiated = non fondé
desk-outcome-referred = transmis
desk-outcome-insufficient_information = informations insuffisantes
desk-outcome-choice-substantiated = Fondé
desk-outcome-choice-unsubstantiated = Non fondé
desk-outcome-choice-referred = Transmis à une autre autorité
desk-outcome-choice-insufficient_information = Informations insuffisantes
desk-category-coercion_or_threat = contrainte ou menace
desk-category-bribe_offered = offre de pot-de-vin
desk-category-infiltration = infiltration
desk-category-collusion = collusion
desk-category-other = autre
desk-label-leadership = direction
desk-label-regulatory_framework = cadre réglementaire
desk-label-transparency = transparence
desk-label-automation = automatisation
desk-label-reform_and_modernisation = réforme et modernisation
desk-label-audit_and_investigation = audit et enquête
desk-label-code_of_conduct = code de conduite
desk-label-human_resource_management = gestion des ressources humaines
desk-label-morale_and_organisational_culture = moral et culture de l'organisation
desk-label-relationship_with_the_private_sector = relations avec le secteur privé
desk-deadline-acknowledge-overdue = { $days ->
    [one] { $days } jour de retard pour accuser réception
   *[other] { $days } jours de retard pour accuser réception
}
desk-deadline-acknowledge-today = aujourd'hui : dernier jour pour accuser réception
desk-deadline-acknowledge-left = { $days ->
    [one] { $days } jour restant pour accuser réception
   *[other] { $days } jours restants pour accuser réception
}
desk-deadline-feedback-overdue = { $days ->
    [one] { $days } jour de retard pour répondre sur le fond
   *[other] { $days } jours de retard pour répondre sur le fond
}
desk-deadline-feedback-today = aujourd'hui : dernier jour pour répondre sur le fond
desk-deadline-feedback-left = { $days ->
    [one] { $days } jour restant pour répondre sur le fond
   *[other] { $days } jours restants pour répondre sur le fond
}
desk-format-jpeg = image JPEG
desk-format-png = image PNG
desk-format-pdf = document PDF
desk-format-mp4 = vidéo MP4
desk-format-mov = vidéo QuickTime
desk-format-other = non reconnu
desk-notice-reply = Votre réponse a été chiffrée et envoyée à la personne qui signale.
desk-notice-status = Le statut du dossier a été modifié.
desk-notice-assignees = Les personnes chargées du dossier ont été modifiées.
desk-notice-note = La note interne a été chiffrée pour chaque enquêteur ayant accès, et enregistrée.
desk-notice-access = Accès accordé : votre collègue peut maintenant ouvrir ce dossier.
desk-notice-labels = Les étiquettes ont été enregistrées.
desk-list-title = Dossiers
desk-search-label = Rechercher dans le texte déchiffré ou une référence
desk-search-button = Rechercher
desk-search-hint = Recherche sur cette machine, en mémoire seulement ; le serveur ne voit jamais ce que vous cherchez.
desk-filter-status = Statut
desk-filter-any = tous
desk-filter-state = Ouverts ou clôturés
desk-filter-both = les deux
desk-filter-open = ouverts
desk-filter-closed = clôturés
desk-filter-category = Catégorie
desk-filter-label = Étiquette
desk-filter-assignee = Chargé du dossier
desk-filter-anyone = n'importe qui
desk-filter-me = (moi)
desk-filter-order = Ordre
desk-order-triage = urgents d'abord, puis échéance la plus proche
desk-order-waiting = attente la plus longue d'abord
desk-order-activity = activité la plus récente d'abord
desk-flag-urgent = urgent
desk-flag-mine = qui me sont confiés
desk-flag-waiting = en attente d'une réponse
desk-flag-overdue = en retard
desk-filter-button = Filtrer
desk-filter-clear = Effacer les filtres
desk-count = { $count ->
    [one] { $count } dossier.
   *[other] { $count } dossiers.
}
desk-count-matching = { $count ->
    [one] { $count } dossier correspond à la recherche.
   *[other] { $count } dossiers correspondent à la recherche.
}
desk-column-reference = Référence
desk-column-report = Signalement
desk-column-status = Statut
desk-column-category = Catégorie
desk-column-deadline = Échéance
desk-column-activity = Dernière activité
desk-column-messages = Messages
desk-column-marks = Repères
desk-column-assignees = Chargés du dossier
desk-urgent-mark = URGENT
desk-preview-unreadable = illisible avec votre clé
desk-mark-not-opened = pas encore ouvert
desk-mark-replied = la personne a répondu
desk-mark-waiting = la personne attend
desk-no-match = Aucun dossier ne correspond.
desk-previous = ← Précédente
desk-next = Suivante →
desk-page = Page { $page } sur { $last }
desk-case-back = ← Tous les dossiers
desk-case-heading = Dossier
desk-case-full-id = Identifiant complet
desk-case-not-saved = Votre modification n'a pas été enregistrée : voir plus bas.
desk-fact-status = Statut
desk-fact-urgent = Urgent
desk-fact-urgent-yes = Oui : la personne dit être en danger immédiat
desk-fact-urgent-no = Non
desk-fact-category = Catégorie
desk-fact-received = Reçu le
desk-fact-acknowledge-by = Accuser réception avant le
desk-fact-acknowledged = réception accusée le { $day }
desk-fact-feedback-by = Répondre sur le fond avant le
desk-fact-first-reply = première réponse le { $day }
desk-fact-next-deadline = Prochaine échéance
desk-fact-assignees = Chargés du dossier
desk-fact-access = Accès
desk-fact-labels = Étiquettes
desk-thread-heading = Signalement et conversation
desk-author-reporter = Personne qui signale
desk-author-unit = Cellule d'intégrité
desk-where-when = Où et quand
desk-people = Personnes impliquées
desk-evidence-heading = Pièces jointes
desk-evidence-detected = détecté :
desk-evidence-declared = déclaré :
desk-evidence-not-cleaned = Non nettoyé : peut encore contenir des données de l'appareil (lieu, appareil photo, propriétaire).
desk-file-removed = La personne qui signale a retiré le fichier { $name } : il est supprimé du serveur.
desk-evidence-removed = Métadonnées retirées : { $kinds }.
desk-evidence-clean = Nettoyé : aucune métadonnée trouvée.
desk-evidence-hint = Un téléchargement est déchiffré sur cette machine et enregistré en clair par votre navigateur : ne le gardez que là où les règles de votre service le permettent, et ouvrez-le avec prudence, car la personne qui signale en a choisi le contenu.
desk-entry-unreadable = Ce message n'a pas pu être déchiffré.
desk-reply-heading = Répondre à la personne qui signale
desk-reply-audience = Visible par la personne qui signale
desk-reply-label = La personne lira ceci la prochaine fois qu'elle ouvrira le dossier avec son code.
desk-reply-acknowledges = Une première réponse à un nouveau dossier en accuse aussi réception.
desk-reply-button = Chiffrer et envoyer la réponse
desk-status-heading = Statut
desk-status-move = Passer le dossier à
desk-status-outcome = Conclusion (à la clôture)
desk-status-button = Changer le statut
desk-status-none = Aucun changement de statut n'est possible ici.
desk-assignees-heading = Chargés du dossier
desk-assignees-no-access = (pas encore d'accès)
desk-assignees-button = Enregistrer
desk-labels-heading = Étiquettes
desk-labels-hint = Mots fixes (les facteurs de la Déclaration d'Arusha révisée), conservés en clair sur le serveur comme la catégorie et comptés dans les statistiques : n'écrivez jamais ici le contenu d'un dossier.
desk-labels-button = Enregistrer les étiquettes
desk-access-heading = Donner accès
desk-access-colleague = Collègue
desk-access-hint = Chiffre la clé de ce dossier pour sa clé publique, sur cette machine ; le serveur ne voit jamais la clé du dossier.
desk-access-button = Donner accès
desk-access-everyone = Tous les enquêteurs actifs ont déjà accès.
desk-notes-heading = Notes internes
desk-notes-audience = Interne uniquement — jamais montré à la personne qui signale
desk-notes-hint = Chiffrées pour les enquêteurs ayant accès, jamais pour la personne qui signale.
desk-note-unreadable = Illisible avec votre clé (écrite avant que vous ayez accès).
desk-notes-none = Pas encore de note.
desk-note-label = Nouvelle note
desk-note-button = Chiffrer et enregistrer la note
desk-stats-title = Statistiques
desk-stats-csv = Télécharger en CSV
desk-stats-csv-hint = Chiffres seulement : aucun contenu, aucune référence, aucun nom.
desk-stats-cases = Dossiers
desk-stats-received = Reçus
desk-stats-open = Ouverts
desk-stats-closed = Clôturés
desk-stats-urgent = Urgents
desk-stats-overdue-now = Dossiers ouverts ayant dépassé une échéance aujourd'hui
desk-stats-deadlines = Échéances
desk-stats-done = Faits
desk-stats-within = Dans le délai
desk-stats-missed = Manqués, encore ouverts
desk-stats-met = Délais tenus
desk-stats-median = Jours médians depuis la réception
desk-percent = { $share } %
desk-stats-acknowledgement = Accusé de réception
desk-stats-feedback = Réponse sur le fond
desk-stats-per-label = Dossiers par étiquette
desk-stats-label = Étiquette
desk-stats-count = Dossiers
desk-stats-no-labels = Aucun dossier n'a encore d'étiquette.
desk-stats-received-heading = Dossiers reçus
desk-stats-month = Mois
desk-stats-category = Catégorie
desk-stats-no-cases = Pas encore de dossier.
desk-error-title = Problème
desk-error-heading = Cela n'a pas fonctionné
desk-error-back = Retour aux dossiers
desk-retry-title = Non envoyé
desk-retry-back = ← Retour au dossier
desk-retry-reply = Réponse : visible par la personne qui signale
desk-retry-note = Note : interne uniquement — jamais montrée à la personne qui signale
desk-retry-button = Réessayer
desk-stopped-title = Poste arrêté
desk-stopped-heading = Déconnecté
desk-stopped-notice = La session sur le serveur est terminée et le poste s'est arrêté.
desk-stopped-next = Fermez cet onglet. Relancez { $command } pour continuer.
desk-error-wrong-key = votre clé n'ouvre pas la clé de ce dossier : --identity est-il bien le fichier enregistré pour vous ?
desk-error-empty-text = le texte est vide ; rien n'a été envoyé
desk-error-not-an-investigator = { $name } n'est pas un enquêteur
desk-error-not-a-label = { $name } n'est pas une étiquette
desk-error-already-has-access = { $name } a déjà accès à ce dossier
desk-error-not-enabled = { $name } n'est pas un enquêteur actif
desk-error-no-such-page = page introuvable
desk-error-no-such-file = ce dossier ne contient pas cette pièce jointe
desk-error-bad-file = cette pièce jointe ne se déchiffre pas avec la clé du dossier : elle est endommagée, ou d'un autre dossier ; rien n'a été enregistré
desk-error-crypto = le poste n'a pas pu chiffrer ceci ; rien n'a été envoyé
desk-error-unframed = le poste a produit un message que la personne qui signale ne pourrait pas lire ; rien n'a été envoyé
desk-error-render = le poste n'a pas pu afficher cette page
desk-error-internal = le poste a échoué ; voir son terminal
desk-error-unknown-status = statut inconnu ; utilisez acknowledged, investigating ou closed
desk-error-unknown-outcome = conclusion inconnue ; utilisez substantiated, unsubstantiated, referred ou insufficient_information
desk-error-outcome-needed = clôturer un dossier demande une conclusion : substantiated, unsubstantiated, referred ou insufficient_information
desk-error-outcome-without-closing = seul un dossier clôturé a une conclusion
desk-error-not-a-target = un dossier ne peut pas redevenir nouveau
desk-error-bad-server = { $detail } n'est pas une adresse de serveur : donnez https://HÔTE[:PORT], ou http://ADRESSE.onion avec --socks-proxy
desk-error-plain-http = { $detail } enverrait mots de passe et contenu des dossiers en clair : utilisez https://, ou une adresse .onion via --socks-proxy
desk-error-onion-without-proxy = { $detail } est une adresse onion : démarrez Tor et passez --socks-proxy 127.0.0.1:9050
desk-error-bad-proxy = { $detail } n'est pas une adresse de proxy SOCKS : donnez HÔTE:PORT, par exemple 127.0.0.1:9050
desk-error-unreachable = impossible de joindre le serveur ({ $detail }) ; vérifiez l'adresse, votre réseau, et Tor si vous l'utilisez
desk-error-login-refused = le serveur n'a pas accepté ce nom, ce mot de passe et ce code ; vérifiez-les et réessayez
desk-error-session-ended = la session avec le serveur est terminée : relancez le poste pour vous reconnecter
desk-error-too-many-attempts = trop de tentatives : attendez { $detail } et réessayez
desk-error-forbidden = votre compte ne peut pas faire cela : { $detail }
desk-error-not-found = dossier introuvable, ou vous n'y avez pas accès
desk-error-conflict = le serveur a refusé ce changement : { $detail }
desk-error-rejected = le serveur n'a pas accepté cette demande : { $detail }
desk-error-server = le serveur a échoué (HTTP { $detail }) ; réessayez plus tard, et prévenez votre administrateur si cela continue
desk-error-bad-answer = la réponse du serveur n'est pas ce que ce poste comprend ({ $detail }) ; le poste et le serveur sont-ils de la même version ?
desk-fact-recovery = Clé de secours
desk-recovery-fingerprint = empreinte
desk-recovery-unreadable = illisible : pas un destinataire age
desk-recovery-hint = chaque nouveau dossier lui est aussi chiffré ; comparez l’empreinte avec celle que votre administrateur vous lit
desk-recovery-none = aucune
desk-audit-alarm-title = ATTENTION : le journal d’audit n’est plus celui que ce poste a vu
desk-audit-alarm-shorter = Le journal d’audit compte maintenant { $now } entrées, moins que les { $seen } que ce poste a vues : des entrées en ont été supprimées.
desk-audit-alarm-forked = Le journal d’audit ({ $now } entrées) ne contient plus la tête que ce poste a vue après { $seen } entrées : il a été tronqué ou réécrit.
desk-audit-alarm-broken = Le journal d’audit ne se vérifie pas : { $reason }
desk-audit-alarm-unchecked = Le journal d’audit n’a pas pu être comparé à l’enregistrement de ce poste : { $reason }
desk-audit-alarm-seen-head = Tête vue par ce poste :
desk-audit-alarm-advice = Ne vous fiez pas au registre du serveur sur qui a fait quoi tant que ce n’est pas expliqué. Prévenez un autre administrateur, lancez quietline audit verify --expect avec une tête gardée hors du serveur, et laissez le fichier d’enregistrement de ce poste tel quel.

## Desk : réglages (adresse d'alerte, destinataires en attente d'un second administrateur)
desk-nav-settings = Réglages
desk-settings-title = Réglages
desk-settings-alerts = Vos alertes
desk-settings-alerts-intro = Les alertes disent seulement combien de signalements sont arrivés, jamais ce qu'ils disent. Les signalements urgents sont envoyés aussitôt à chaque enquêteur qui a indiqué une adresse ici.
desk-settings-address = Adresse électronique pour vos alertes
desk-settings-digests = M'envoyer aussi les résumés réguliers (nouveaux signalements, messages des lanceurs d'alerte, échéances)
desk-settings-save = Enregistrer
desk-settings-clear = Ne plus m'envoyer d'alertes
desk-settings-address-privacy = Le serveur garde cette adresse en clair pour envoyer le courrier, et votre fournisseur de messagerie voit quand les alertes arrivent. Choisissez une adresse qui n'en révèle pas plus que vous ne le souhaitez.
desk-settings-alerts-saved = Vos réglages d'alerte sont enregistrés.
desk-settings-pending = Destinataires en attente de confirmation
desk-settings-pending-intro = Les nouveaux dossiers ne sont pas chiffrés pour ces clés tant qu'un second administrateur ne les a pas confirmées. Avant de confirmer, faites lire l'empreinte par le détenteur de la clé sur un autre canal (un appel téléphonique) et comparez-la avec celle-ci.
desk-settings-pending-who = Clé de
desk-settings-fingerprint = Empreinte
desk-settings-proposed-by = Proposée par
desk-settings-recovery = La clé de secours de l'organisation
desk-settings-no-fingerprint = Ce n'est pas une clé valide : ne la confirmez pas.
desk-settings-confirm = Confirmer cette clé
desk-settings-not-yours-role = Un administrateur la confirme.
desk-settings-not-yours-proposer = Vous l'avez proposée : un autre administrateur la confirme.
desk-settings-not-yours-own = C'est votre clé : un autre administrateur la confirme.
desk-settings-none-pending = Aucune clé n'attend de confirmation.
desk-settings-confirmed = La clé est confirmée : les nouveaux dossiers sont chiffrés pour elle désormais.
