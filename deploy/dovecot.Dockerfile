# Dovecot 2.3 (Debian 12, the version the tests run against) with deploy/dovecot.conf.
FROM debian:bookworm-slim
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends dovecot-imapd dovecot-lmtpd \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --gid 5000 vmail \
 && useradd --uid 5000 --gid 5000 --home-dir /srv/mail --create-home --shell /usr/sbin/nologin vmail
COPY dovecot.conf /etc/dovecot/cc.conf
EXPOSE 143 24
HEALTHCHECK --interval=10s --timeout=3s --retries=3 \
  CMD ["bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/143 && head -c 4 <&3 | grep -q '^\\* OK'"]
CMD ["dovecot", "-F", "-c", "/etc/dovecot/cc.conf"]
