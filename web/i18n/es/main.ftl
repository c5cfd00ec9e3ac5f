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
error-malformed-token = Esto no es un código de caso: un código tiene 20 letras y cifras, como XXXX-XXXX-XXXX-XXXX-XXXX. Compruebe lo que escribió.
error-unknown-token = Ningún caso corresponde a este código. Compruebe lo que escribió e inténtelo de nuevo.
error-no-session = Por su seguridad, su sesión ha terminado. Escriba de nuevo su código de caso.
error-too-large = El texto es más largo de lo que acepta el servicio. Acórtelo o envíelo en varios mensajes.
error-invalid = El mensaje está vacío o es demasiado largo. No se ha enviado nada; su texto sigue más abajo.
error-busy = El servicio está saturado en este momento. No se ha enviado nada; inténtelo de nuevo en un minuto.
error-not-accepting = Este servicio todavía no acepta denuncias. Inténtelo de nuevo más tarde.
error-internal = El servicio no pudo completar esta operación. No se ha enviado nada; inténtelo de nuevo más tarde.

## Archivos de prueba

report-evidence-label = Fotos, capturas de pantalla, documentos, grabaciones
report-evidence-hint = Opcional. Los datos de ubicación y de cámara se eliminan de las imágenes JPEG y PNG antes de guardarlas; los demás archivos (PDF, vídeo, audio) se guardan tal como están: compruebe lo que revelan sobre usted.
submitted-evidence-title = Sus archivos
evidence-cleaned = datos identificativos eliminados
evidence-clean-already = no se encontraron datos identificativos
evidence-not-cleaned = guardado tal como estaba: este tipo de archivo no se puede limpiar y puede contener aún datos de su dispositivo
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
