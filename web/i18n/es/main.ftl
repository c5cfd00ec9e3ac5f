# Páginas de denuncia de quietline, en español. Todos los idiomas tienen exactamente los mismos identificadores
# de mensaje (una prueba unitaria lo comprueba). Mantenga las frases cortas y sencillas: los lectores pueden
# tener miedo, tener prisa o leer en su segundo idioma.

site-name = quietline
language-switcher = Idioma
quick-exit = Salida rápida
footer-note = Este servicio no guarda ningún registro de su dirección IP ni de su navegador, no usa cookies y no ejecuta scripts.

## Página de inicio

landing-title = Denuncie de forma segura coacciones, amenazas o infiltraciones
landing-lead = Si usted o sus compañeros sufren presiones, amenazas o intentos de reclutamiento por parte de delincuentes, puede comunicarlo aquí a la unidad de integridad sin dar su nombre.
landing-report = Presentar una denuncia
landing-have-token = Ya tengo un código de caso
landing-danger-title = ¿Está en peligro inmediato?
landing-danger-text = Si su vida o la de otra persona corre peligro en este momento, llame primero al número de emergencias (112 en Europa). Después, presente aquí su denuncia y marque "Estoy en peligro inmediato": esas denuncias se leen primero.
landing-what-happens-title = Qué pasa con su denuncia
landing-what-happens-1 = Su denuncia se cifra antes de guardarse. Solo los investigadores de la unidad de integridad pueden leerla, en sus propios equipos. Este servidor no puede leer las denuncias guardadas.
landing-what-happens-2 = Usted recibe un código de caso. Es la única llave de acceso a su caso: sin nombre, sin correo electrónico, sin cuenta.
landing-what-happens-3 = La unidad de integridad acusa recibo de su denuncia en un plazo máximo de 7 días y le da una respuesta en un plazo máximo de 3 meses.
landing-what-happens-4 = Vuelva con su código para leer las preguntas y respuestas de la unidad y para añadir información.
landing-protect-title = Protéjase
landing-protect-device = Use un dispositivo y una red personales. Nunca use el equipo, el teléfono ni la red de su empleador.
landing-protect-tor = Tor Browser es la forma más segura de usar este servicio: oculta su dirección a todos, incluso a nosotros. Ponga su nivel de seguridad en el más alto, "El más seguro"; este sitio funciona sin JavaScript.
landing-protect-content = Piense en lo que nadie más que usted puede saber. Los detalles que conocen pocas personas pueden revelar su identidad. Inclúyalos si son importantes e indique si podrían exponerle.
landing-protect-exit = El botón "Salida rápida", en la parte superior de cada página, le permite salir de este sitio de inmediato.

## Formulario de denuncia

report-title = Presentar una denuncia
report-intro = Escriba con sus propias palabras. No tiene que dar su nombre. No se envía nada hasta que pulse el botón del final.
report-body-label = ¿Qué ocurrió?
report-body-hint = Quién se le acercó o le amenazó, qué quería, qué se dijo u ofreció y qué pasó después.
report-category-label = ¿De qué se trata?
category-coercion_or_threat = Coacción o amenaza
category-bribe_offered = Ofrecimiento de soborno
category-infiltration = Infiltración en su institución
category-collusion = Colusión entre agentes y delincuentes
category-other = Otro asunto
report-where-when-label = Dónde y cuándo, con sus propias palabras
report-people-label = Personas implicadas
report-optional = Opcional.
report-urgent-label = Estoy en peligro inmediato
report-urgent-hint = Las denuncias urgentes se muestran primero a los investigadores.
report-before-send = Después del envío verá un código de caso una sola vez. Tenga a mano papel y bolígrafo.
report-submit = Enviar la denuncia
report-choose-category = Elija de qué trata la denuncia. No se ha enviado nada; su texto sigue más abajo.

## Después del envío

submitted-title = Hemos recibido su denuncia
submitted-lead = Está guardada de forma cifrada. La unidad de integridad acusará recibo en un plazo máximo de 7 días.
submitted-token-label = Su código de caso:
submitted-keep-title = Anote este código ahora
submitted-keep-paper = Escríbalo en papel. Esta página no volverá a mostrarlo y no podemos recuperarlo.
submitted-keep-work = No lo guarde en un equipo ni en un teléfono del trabajo. No lo envíe por correo electrónico ni lo fotografíe.
submitted-keep-secret = Cualquier persona que tenga el código puede leer su caso. Guárdelo con el mismo cuidado que la llave de su casa.
submitted-keep-lost = Si lo pierde, pierde el acceso a su caso. Puede presentar una nueva denuncia y mencionar la anterior.
submitted-next-title = Volver más tarde
submitted-next-text = Vuelva dentro de unos días con su código para ver el estado de su caso, leer las preguntas de los investigadores y responderlas.
submitted-go-to-case = Ir a "Mi caso"

## Acceso al caso

login-title = Mi caso
login-intro = Escriba su código de caso para ver el estado de su caso y la conversación con la unidad de integridad.
login-token-label = Código de caso
login-token-hint = No importan las mayúsculas ni las minúsculas, los espacios ni los guiones.
login-draft-label = Su mensaje que aún no se ha enviado (se conservará cuando vuelva a entrar)
login-submit = Abrir mi caso

## Página del caso

case-title = Su caso
case-status = Estado
case-received = Recibido el
case-category = Asunto
case-urgent = Peligro inmediato
case-urgent-yes = Sí, marcado como urgente
case-conversation = Conversación
case-from-you = Usted
case-from-unit = Unidad de integridad
case-add-title = Añadir información o responder
case-add-label = Su mensaje
case-add-submit = Enviar
case-refresh = Ver si hay respuestas nuevas
case-leave = Salir de mi caso
case-session-hint = Por su seguridad, esta página cierra su sesión tras { $minutes } minutos sin actividad. Cuando termine, pulse "Salir de mi caso" y cierre el navegador.
case-message-sent = Su mensaje se ha añadido al caso.
case-left = Ha salido de su caso.
close-browser-hint = Ahora cierre el navegador por completo, para que el botón Atrás no pueda volver a mostrar estas páginas. En Tor Browser, elija Nueva identidad.
form-used = Esta página ya se usó. Escriba de nuevo su código.
form-report-already-sent = Su denuncia ya se envió. Esta página no puede enviarla otra vez y su código no se vuelve a mostrar.
case-unreadable = No se pudo leer este mensaje.
status-new = Recibido, aún sin acuse de recibo
status-acknowledged = Acuse de recibo enviado
status-investigating = En investigación
status-closed = Cerrado
status-explain-closed = La unidad de integridad ha cerrado su caso. Todavía puede leer la conversación y añadir información.

## La página del caso de un vistazo: lo que sigue, respuestas nuevas, fechas y tamaños

case-next-acknowledge = La unidad de integridad acusará recibo de su denuncia a más tardar el { $date }.
case-next-acknowledge-late = La unidad de integridad debía haber acusado recibo de su denuncia a más tardar el { $date }. Todavía no lo ha hecho.
case-next-feedback = La unidad de integridad le dará una respuesta a más tardar el { $date }.
case-next-feedback-late = La unidad de integridad debía haberle dado una respuesta a más tardar el { $date }. Todavía no lo ha hecho.
case-next-answered = La unidad de integridad le respondió el { $date }. Puede hacerle más preguntas aquí: vuelva de vez en cuando.
case-new-reply = { $count ->
    [one] Nuevo mensaje de la unidad de integridad ({ $date })
   *[other] { $count } mensajes nuevos de la unidad de integridad (el último, { $date })
}
case-new = Nuevo
case-acknowledged = Acuse de recibo el
case-earlier = { $count ->
    [one] 1 mensaje anterior
   *[other] { $count } mensajes anteriores
}
date-long = { $day } de { $month } de { $year }
date-short = { $day } de { $month }
month-1 = enero
month-2 = febrero
month-3 = marzo
month-4 = abril
month-5 = mayo
month-6 = junio
month-7 = julio
month-8 = agosto
month-9 = septiembre
month-10 = octubre
month-11 = noviembre
month-12 = diciembre
size-bytes = { $count ->
    [one] { $count } byte
   *[other] { $count } bytes
}
size-kib = KiB
size-mib = MiB
size-gib = GiB
size-decimal = ,
size-space = { " " }

## Errores

error-title = Algo salió mal
error-back-hint = No se ha guardado nada de lo que escribió. Use el botón Atrás de su navegador para volver a su texto.
error-home = Volver al inicio
error-bad-request = No se pudo leer el formulario. Inténtelo de nuevo.
error-malformed-token = Esto no es un código de caso: un código tiene 24 letras y cifras, como XXXX-XXXX-XXXX-XXXX-XXXX-XXXX (20 si es anterior al 27-11-2026). Compruebe lo que escribió.
error-unknown-token = Ningún caso corresponde a este código. Compruebe lo que escribió e inténtelo de nuevo.
error-no-session = Por su seguridad, su sesión ha terminado. Escriba de nuevo su código de caso.
error-too-large = El texto es más largo de lo que acepta el servicio. Acórtelo o envíelo en varios mensajes.
error-invalid = El mensaje está vacío o es demasiado largo. No se ha enviado nada; su texto sigue más abajo.
error-busy = El servicio está saturado en este momento. No se ha enviado nada; inténtelo de nuevo en un minuto.
error-not-accepting = Este servicio todavía no acepta denuncias. Inténtelo de nuevo más tarde.
error-internal = El servicio no pudo completar esta operación. No se ha enviado nada; inténtelo de nuevo más tarde.

## Archivos de prueba

report-evidence-label = Fotos, capturas de pantalla, documentos, grabaciones
report-evidence-hint = Opcional. Los datos de ubicación, dispositivo, autor y fecha se eliminan de las imágenes JPEG y PNG, los documentos PDF y los vídeos MP4 o MOV antes de guardarlos. Los demás archivos (fotos HEIC, otros vídeos, audio, documentos de oficina) se guardan tal como están y pueden revelar su teléfono, su nombre o dónde estaba; después del envío podrá retirar cualquier archivo que no se haya podido limpiar.
submitted-evidence-title = Sus archivos
evidence-cleaned = datos identificativos eliminados
evidence-clean-already = no se encontraron datos identificativos
evidence-not-cleaned = guardado tal como estaba: este archivo no se pudo limpiar y puede contener aún datos de su dispositivo, como dónde se creó, su nombre o la hora
evidence-deleted = retirado por usted: eliminado para siempre
evidence-remove-button = Retirar este archivo ({ $name })
evidence-file-removed = El archivo se ha retirado: está eliminado para siempre, y la unidad ve que usted lo retiró.
error-no-such-file = Este archivo no está en su caso, o ya se retiró.
case-file-removed = Usted retiró el archivo { $name }.
case-uncleaned-title = Archivos que no se pudieron limpiar
submitted-uncleaned = { $count ->
    [one] Un archivo no se pudo limpiar y puede revelar su dispositivo, su nombre o dónde estaba. Si tiene dudas, retírelo abajo.
   *[other] { $count } archivos no se pudieron limpiar y pueden revelar su dispositivo, su nombre o dónde estaba. Si tiene dudas, retírelos abajo.
}
case-evidence = Archivos
error-file-too-large = Un archivo supera el tamaño que acepta el servicio. No se ha enviado nada. Envíe archivos más pequeños o menos a la vez.

## Alertas a los investigadores (correo, webhook). Sin contenido: solo cifras.

alert-subject-urgent = Denuncia urgente en espera
alert-subject-digest = Nueva actividad en el servicio de denuncias
alert-subject-deadlines = Plazos en el servicio de denuncias
alert-urgent = { $count ->
    [one] 1 denuncia urgente nueva.
   *[other] { $count } denuncias urgentes nuevas.
}
alert-new-reports = { $count ->
    [one] 1 denuncia nueva.
   *[other] { $count } denuncias nuevas.
}
alert-reporter-messages = { $count ->
    [one] 1 mensaje nuevo de un denunciante.
   *[other] { $count } mensajes nuevos de denunciantes.
}
alert-due-soon = { $count ->
    [one] 1 caso vence en los próximos 2 días.
   *[other] { $count } casos vencen en los próximos 2 días.
}
alert-overdue = { $count ->
    [one] 1 caso ha superado un plazo.
   *[other] { $count } casos han superado un plazo.
}
alert-open-desk = Abra el escritorio para leerlos. Este mensaje no contiene, a propósito, nada de los casos.

# The token page: typing back the last group before leaving.
confirm-title = Antes de salir
confirm-label = Escriba el último grupo de su código
confirm-hint = Los cuatro caracteres después del último guion, copiados de donde anotó el código, no de esta pantalla.
confirm-submit = Comprobar
confirm-wrong = Ese no es el último grupo de su código. Aquí está de nuevo: anótelo con cuidado.
confirm-done = Correcto. Guarde su código en un lugar seguro: es la única forma de volver a su caso.
form-files-again = Si había elegido archivos, elíjalos de nuevo: el navegador no los conserva.
evidence-keep-names-label = Conservar los nombres de mis archivos
evidence-keep-names-hint = Si no marca esta casilla, sus archivos se guardan como photo-1.jpg, document-1.pdf, etc., porque un nombre como PXL_20261126_134502.jpg puede delatar su teléfono y el momento.
error-not-found = No hay ninguna página en esta dirección.
error-method-not-allowed = Esta página no se puede usar de esa manera.

## El puesto de investigación (src/desk, web/templates/desk). Todas las palabras desk-*
## están aquí, en un solo bloque.

desk-title = Puesto
desk-brand = puesto de investigación quietline
desk-nav-cases = Casos
desk-nav-stats = Estadísticas
desk-who = { $me } en { $server }
desk-logout = Cerrar sesión y detener el puesto
desk-language = Idioma
desk-footer = Descifrado solo en esta máquina. Las páginas no se guardan en caché; cierre la pestaña al irse.
desk-none = ninguna
desk-nobody = nadie
desk-status-new = nuevo
desk-status-acknowledged = acuse de recibo enviado
desk-status-investigating = en investigación
desk-status-closed = cerrado
desk-outcome-substantiated = fundado
desk-outcome-unsubstantiated = infundado
desk-outcome-referred = remitido
desk-outcome-insufficient_information = información insuficiente
desk-outcome-choice-substantiated = Fundado
desk-outcome-choice-unsubstantiated = Infundado
desk-outcome-choice-referred = Remitido a otra autoridad
desk-outcome-choice-insufficient_information = Información insuficiente
desk-category-coercion_or_threat = coacción o amenaza
desk-category-bribe_offered = oferta de soborno
desk-category-infiltration = infiltración
desk-category-collusion = colusión
desk-category-other = otro
desk-label-leadership = liderazgo
desk-label-regulatory_framework = marco normativo
desk-label-transparency = transparencia
desk-label-automation = automatización
desk-label-reform_and_modernisation = reforma y modernización
desk-label-audit_and_investigation = auditoría e investigación
desk-label-code_of_conduct = código de conducta
desk-label-human_resource_management = gestión de recursos humanos
desk-label-morale_and_organisational_culture = moral y cultura organizativa
desk-label-relationship_with_the_private_sector = relación con el sector privado
desk-deadline-acknowledge-overdue = { $days ->
    [one] 1 día de retraso para acusar recibo
   *[other] { $days } días de retraso para acusar recibo
}
desk-deadline-acknowledge-today = hoy: último día para acusar recibo
desk-deadline-acknowledge-left = { $days ->
    [one] queda 1 día para acusar recibo
   *[other] quedan { $days } días para acusar recibo
}
desk-deadline-feedback-overdue = { $days ->
    [one] 1 día de retraso para dar respuesta
   *[other] { $days } días de retraso para dar respuesta
}
desk-deadline-feedback-today = hoy: último día para dar respuesta
desk-deadline-feedback-left = { $days ->
    [one] queda 1 día para dar respuesta
   *[other] quedan { $days } días para dar respuesta
}
desk-format-jpeg = imagen JPEG
desk-format-png = imagen PNG
desk-format-pdf = documento PDF
desk-format-mp4 = vídeo MP4
desk-format-mov = vídeo QuickTime
desk-format-other = no reconocido
desk-notice-reply = Su respuesta se cifró y se envió a la persona denunciante.
desk-notice-status = Se cambió el estado del caso.
desk-notice-assignees = Se cambiaron las personas asignadas.
desk-notice-note = La nota interna se cifró para cada investigador con acceso y se guardó.
desk-notice-access = Acceso concedido: su colega ya puede abrir este caso.
desk-notice-labels = Se guardaron las etiquetas.
desk-list-title = Casos
desk-search-label = Buscar en el texto descifrado o una referencia
desk-search-button = Buscar
desk-search-hint = Se busca en esta máquina, solo en memoria; el servidor nunca ve lo que busca.
desk-filter-status = Estado
desk-filter-any = cualquiera
desk-filter-state = Abiertos o cerrados
desk-filter-both = ambos
desk-filter-open = abiertos
desk-filter-closed = cerrados
desk-filter-category = Categoría
desk-filter-label = Etiqueta
desk-filter-assignee = Asignado a
desk-filter-anyone = cualquiera
desk-filter-me = (yo)
desk-filter-order = Orden
desk-order-triage = urgentes primero, luego el plazo más cercano
desk-order-waiting = la espera más larga primero
desk-order-activity = actividad más reciente primero
desk-flag-urgent = urgente
desk-flag-mine = asignados a mí
desk-flag-waiting = esperando respuesta
desk-flag-overdue = con retraso
desk-filter-button = Filtrar
desk-filter-clear = Quitar filtros
desk-count = { $count ->
    [one] 1 caso.
   *[other] { $count } casos.
}
desk-count-matching = { $count ->
    [one] 1 caso coincide con la búsqueda.
   *[other] { $count } casos coinciden con la búsqueda.
}
desk-column-reference = Referencia
desk-column-report = Denuncia
desk-column-status = Estado
desk-column-category = Categoría
desk-column-deadline = Plazo
desk-column-activity = Última actividad
desk-column-messages = Mensajes
desk-column-marks = Marcas
desk-column-assignees = Asignados
desk-urgent-mark = URGENTE
desk-preview-unreadable = ilegible con su clave
desk-mark-not-opened = aún no abierto
desk-mark-replied = la persona respondió
desk-mark-waiting = la persona espera
desk-no-match = Ningún caso coincide.
desk-previous = ← Anterior
desk-next = Siguiente →
desk-page = Página { $page } de { $last }
desk-case-back = ← Todos los casos
desk-case-heading = Caso
desk-case-full-id = Identificador completo
desk-case-not-saved = Su cambio no se guardó: vea más abajo.
desk-fact-status = Estado
desk-fact-urgent = Urgente
desk-fact-urgent-yes = Sí: la persona dice estar en peligro inmediato
desk-fact-urgent-no = No
desk-fact-category = Categoría
desk-fact-received = Recibido
desk-fact-acknowledge-by = Acusar recibo antes del
desk-fact-acknowledged = acuse enviado el { $day }
desk-fact-feedback-by = Dar respuesta antes del
desk-fact-first-reply = primera respuesta el { $day }
desk-fact-next-deadline = Próximo plazo
desk-fact-assignees = Asignados
desk-fact-access = Acceso
desk-fact-labels = Etiquetas
desk-thread-heading = Denuncia y conversación
desk-author-reporter = Persona denunciante
desk-author-unit = Unidad de integridad
desk-where-when = Dónde y cuándo
desk-people = Personas implicadas
desk-evidence-heading = Archivos de prueba
desk-evidence-detected = detectado:
desk-evidence-declared = declarado:
desk-evidence-not-cleaned = Sin limpiar: puede contener aún datos del dispositivo (ubicación, cámara, propietario).
desk-file-removed = La persona denunciante retiró el archivo { $name }: está eliminado del servidor.
desk-evidence-removed = Metadatos eliminados: { $kinds }.
desk-evidence-clean = Limpio: no se encontraron metadatos.
desk-evidence-hint = Una descarga se descifra en esta máquina y su navegador la guarda sin cifrar: consérvela solo donde lo permitan las normas de su unidad y ábrala con cuidado, ya que la persona denunciante eligió su contenido.
desk-entry-unreadable = No se pudo descifrar este mensaje.
desk-reply-heading = Responder a la persona denunciante
desk-reply-audience = Visible para la persona denunciante
desk-reply-label = La persona leerá esto la próxima vez que abra el caso con su código.
desk-reply-acknowledges = Una primera respuesta a un caso nuevo también acusa recibo.
desk-reply-button = Cifrar y enviar la respuesta
desk-status-heading = Estado
desk-status-move = Pasar el caso a
desk-status-outcome = Resultado (al cerrar)
desk-status-button = Cambiar el estado
desk-status-none = No es posible ningún cambio de estado desde aquí.
desk-assignees-heading = Asignados
desk-assignees-no-access = (aún sin acceso)
desk-assignees-button = Guardar asignados
desk-labels-heading = Etiquetas
desk-labels-hint = Palabras fijas (los factores de la Declaración de Arusha revisada), guardadas sin cifrar en el servidor como la categoría y contadas en las estadísticas: nunca escriba aquí contenido de un caso.
desk-labels-button = Guardar etiquetas
desk-access-heading = Conceder acceso
desk-access-colleague = Colega
desk-access-hint = Cifra la clave de este caso para su clave pública en esta máquina; el servidor nunca ve la clave del caso.
desk-access-button = Conceder acceso
desk-access-everyone = Todos los investigadores activos ya tienen acceso.
desk-notes-heading = Notas internas
desk-notes-audience = Solo interno — nunca se muestra a la persona denunciante
desk-notes-hint = Cifradas para los investigadores con acceso, nunca para la persona denunciante.
desk-note-unreadable = Ilegible con su clave (escrita antes de que tuviera acceso).
desk-notes-none = Aún no hay notas.
desk-note-label = Nueva nota
desk-note-button = Cifrar y guardar la nota
desk-stats-title = Estadísticas
desk-stats-csv = Descargar en CSV
desk-stats-csv-hint = Solo cifras: ningún contenido, referencia ni nombre.
desk-stats-cases = Casos
desk-stats-received = Recibidos
desk-stats-open = Abiertos
desk-stats-closed = Cerrados
desk-stats-urgent = Urgentes
desk-stats-overdue-now = Casos abiertos con un plazo vencido hoy
desk-stats-deadlines = Plazos
desk-stats-done = Hechos
desk-stats-within = En plazo
desk-stats-missed = Vencidos, aún abiertos
desk-stats-met = Plazos cumplidos
desk-stats-median = Mediana de días desde la recepción
desk-percent = { $share } %
desk-stats-acknowledgement = Acuse de recibo
desk-stats-feedback = Respuesta
desk-stats-per-label = Casos por etiqueta
desk-stats-label = Etiqueta
desk-stats-count = Casos
desk-stats-no-labels = Ningún caso tiene aún etiqueta.
desk-stats-received-heading = Casos recibidos
desk-stats-month = Mes
desk-stats-category = Categoría
desk-stats-no-cases = Aún no hay casos.
desk-error-title = Problema
desk-error-heading = Eso no funcionó
desk-error-back = Volver a los casos
desk-retry-title = No enviado
desk-retry-back = ← Volver al caso
desk-retry-reply = Respuesta: visible para la persona denunciante
desk-retry-note = Nota: solo interna — nunca se muestra a la persona denunciante
desk-retry-button = Intentar de nuevo
desk-stopped-title = Puesto detenido
desk-stopped-heading = Sesión cerrada
desk-stopped-notice = La sesión en el servidor ha terminado y el puesto se ha detenido.
desk-stopped-next = Cierre esta pestaña. Inicie { $command } de nuevo para continuar.
desk-error-wrong-key = su clave no abre la clave de este caso: ¿es --identity el archivo registrado para usted?
desk-error-empty-text = el texto está vacío; no se envió nada
desk-error-not-an-investigator = { $name } no es un investigador
desk-error-not-a-label = { $name } no es una etiqueta
desk-error-already-has-access = { $name } ya tiene acceso a este caso
desk-error-not-enabled = { $name } no es un investigador activo
desk-error-no-such-page = página no encontrada
desk-error-no-such-file = este caso no contiene ese archivo de prueba
desk-error-bad-file = este archivo de prueba no se descifra con la clave del caso: está dañado o es de otro caso; no se guardó nada
desk-error-crypto = el puesto no pudo cifrar esto; no se envió nada
desk-error-unframed = el puesto produjo un mensaje que la persona denunciante no podría leer; no se envió nada
desk-error-render = el puesto no pudo mostrar esta página
desk-error-internal = el puesto falló; vea su terminal
desk-error-unknown-status = estado desconocido; use acknowledged, investigating o closed
desk-error-unknown-outcome = resultado desconocido; use substantiated, unsubstantiated, referred o insufficient_information
desk-error-outcome-needed = cerrar un caso requiere un resultado: substantiated, unsubstantiated, referred o insufficient_information
desk-error-outcome-without-closing = solo un caso cerrado tiene resultado
desk-error-not-a-target = un caso no puede volver a nuevo
desk-error-bad-server = { $detail } no es una dirección de servidor: indique https://HOST[:PUERTO], o http://DIRECCIÓN.onion con --socks-proxy
desk-error-plain-http = { $detail } enviaría contraseñas y contenido de casos sin cifrar: use https://, o una dirección .onion mediante --socks-proxy
desk-error-onion-without-proxy = { $detail } es una dirección onion: inicie Tor y pase --socks-proxy 127.0.0.1:9050
desk-error-bad-proxy = { $detail } no es una dirección de proxy SOCKS: indique HOST:PUERTO, por ejemplo 127.0.0.1:9050
desk-error-unreachable = no se puede contactar con el servidor ({ $detail }); compruebe la dirección, su red y Tor si lo usa
desk-error-login-refused = el servidor no aceptó este nombre, contraseña y código; compruébelos e inténtelo de nuevo
desk-error-session-ended = la sesión con el servidor ha terminado: reinicie el puesto para volver a entrar
desk-error-too-many-attempts = demasiados intentos: espere { $detail } e inténtelo de nuevo
desk-error-forbidden = su cuenta no puede hacer esto: { $detail }
desk-error-not-found = no existe ese caso, o no tiene acceso a él
desk-error-conflict = el servidor rechazó este cambio: { $detail }
desk-error-rejected = el servidor no aceptó esta solicitud: { $detail }
desk-error-server = el servidor falló (HTTP { $detail }); inténtelo más tarde y avise a su administrador si continúa
desk-error-bad-answer = la respuesta del servidor no es lo que este puesto entiende ({ $detail }); ¿son el puesto y el servidor de la misma versión?
desk-fact-recovery = Clave de recuperación
desk-recovery-fingerprint = huella
desk-recovery-unreadable = ilegible: no es un destinatario age
desk-recovery-hint = cada caso nuevo también se cifra para ella; compare la huella con la que le lee su administrador
desk-recovery-none = ninguna
desk-audit-alarm-title = ATENCIÓN: el registro de auditoría no es el que vio este puesto
desk-audit-alarm-shorter = El registro de auditoría tiene ahora { $now } entradas, menos que las { $seen } que vio este puesto: se han borrado entradas.
desk-audit-alarm-forked = El registro de auditoría ({ $now } entradas) ya no contiene la cabeza que este puesto vio tras { $seen } entradas: se ha recortado o reescrito.
desk-audit-alarm-broken = El registro de auditoría no se verifica: { $reason }
desk-audit-alarm-unchecked = No se pudo comparar el registro de auditoría con el registro de este puesto: { $reason }
desk-audit-alarm-seen-head = Cabeza que vio este puesto:
desk-audit-alarm-advice = No confíe en el registro del servidor sobre quién hizo qué hasta que se explique. Avise a otro administrador, ejecute quietline audit verify --expect con una cabeza guardada fuera del servidor y deje el archivo de registro de este puesto como está.

## Desk: ajustes (dirección de alertas, destinatarios a la espera de un segundo administrador)
desk-nav-settings = Ajustes
desk-settings-title = Ajustes
desk-settings-alerts = Sus alertas
desk-settings-alerts-intro = Las alertas solo dicen cuántas denuncias han llegado, nunca lo que dicen. Las denuncias urgentes se envían en el acto a cada investigador que haya indicado aquí una dirección.
desk-settings-address = Dirección de correo para sus alertas
desk-settings-digests = Enviarme también los resúmenes periódicos (denuncias nuevas, mensajes de los denunciantes, plazos)
desk-settings-save = Guardar
desk-settings-clear = Dejar de enviarme alertas
desk-settings-address-privacy = El servidor guarda esta dirección en claro para enviar el correo, y su proveedor de correo ve cuándo llegan las alertas. Use una dirección que no revele más de lo que usted quiera.
desk-settings-alerts-saved = Sus ajustes de alertas están guardados.
desk-settings-pending = Destinatarios a la espera de confirmación
desk-settings-pending-intro = Los casos nuevos no se cifran para estas claves hasta que un segundo administrador las confirme. Antes de confirmar, pida al titular de la clave que le lea su huella por otro canal (una llamada) y compárela con la de aquí.
desk-settings-pending-who = Clave de
desk-settings-fingerprint = Huella
desk-settings-proposed-by = Propuesta por
desk-settings-recovery = La clave de recuperación de la organización
desk-settings-no-fingerprint = No es una clave válida: no la confirme.
desk-settings-confirm = Confirmar esta clave
desk-settings-not-yours-role = La confirma un administrador.
desk-settings-not-yours-proposer = Usted la propuso: la confirma otro administrador.
desk-settings-not-yours-own = Es su clave: la confirma otro administrador.
desk-settings-none-pending = Ninguna clave espera confirmación.
desk-settings-confirmed = La clave está confirmada: los casos nuevos se cifran para ella a partir de ahora.
