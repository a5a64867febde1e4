#!/bin/sh
# Writes the package's Apache site (/etc/apache2/sites-available/linehook.conf) from the
# project's template (conf/apache2-linehook.conf, argument 1) to stdout: the site on port 80,
# and the same site on 443 with TLS on Debian's snakeoil certificate once mod_ssl is enabled.
# The API is reached over the socket of linehook-api.socket.
set -eu
tpl=$1

# The template without its leading comment block (it explains the placeholders).
site() {
	sed -e '1,/^$/d' -e "s#@LISTEN@#$1#" -e 's#@DOCROOT@#/usr/share/linehook/www#g' \
		-e 's#@FCGI_URL@#unix:/run/linehook/api.sock|fcgi://linehook#' "$tpl"
}

cat <<'HEAD'
# linehook: the settings page (/usr/share/linehook/www), the API under /v2/ and /metrics
# (FastCGI over /run/linehook/api.sock, from linehook-api.socket).
#   a2enmod proxy_fcgi headers && a2ensite linehook && systemctl reload apache2
# HTTPS: the second VirtualHost below runs once mod_ssl is on (a2enmod ssl), with Debian's
# snakeoil certificate (package ssl-cert); for a real one set SSLCertificateFile and
# SSLCertificateKeyFile to your certificate, e.g. from certbot. To send plain HTTP to
# HTTPS then, put in the *:80 VirtualHost:  Redirect permanent / https://your.host/
# If another site already serves *:80, give this one a ServerName (or disable the other,
# a2dissite 000-default).

HEAD
site '*:80'
echo
echo '<IfModule mod_ssl.c>'
site '*:443' | sed -e '/^<VirtualHost/a\
    SSLEngine on\
    SSLCertificateFile /etc/ssl/certs/ssl-cert-snakeoil.pem\
    SSLCertificateKeyFile /etc/ssl/private/ssl-cert-snakeoil.key\
    # Once the certificate is a real one:\
    # Header always set Strict-Transport-Security "max-age=31536000"'
echo '</IfModule>'
