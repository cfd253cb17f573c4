{{/* Names */}}
{{- define "lumbung.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "lumbung.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "lumbung.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
app.kubernetes.io/name: {{ include "lumbung.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ include "lumbung.tag" . | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: lumbung
{{- end -}}

{{/* Selector labels of one component: include "lumbung.selectorLabels" (list . "web") */}}
{{- define "lumbung.selectorLabels" -}}
{{- $root := index . 0 -}}
app.kubernetes.io/name: {{ include "lumbung.name" $root }}
app.kubernetes.io/instance: {{ $root.Release.Name }}
app.kubernetes.io/component: {{ index . 1 }}
{{- end -}}

{{- define "lumbung.tag" -}}
{{- default .Chart.AppVersion .Values.image.tag -}}
{{- end -}}

{{- define "lumbung.image" -}}
{{ printf "%s:%s" .Values.image.repository (include "lumbung.tag" .) }}
{{- end -}}

{{- define "lumbung.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "lumbung.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "lumbung.secretName" -}}
{{- default (printf "%s-secrets" (include "lumbung.fullname" .)) .Values.existingSecret -}}
{{- end -}}

{{- define "lumbung.tlsSecretName" -}}
{{- default (printf "%s-tls" (include "lumbung.fullname" .)) .Values.ingress.tls.secretName -}}
{{- end -}}

{{- define "lumbung.extraTlsSecretName" -}}
{{- default (printf "%s-extra-tls" (include "lumbung.fullname" .)) .Values.ingress.tls.extraSecretName -}}
{{- end -}}

{{/* The ConfigMap's data (also used by the migration hook's copy) */}}
{{- define "lumbung.configData" -}}
DJANGO_ENV: {{ .Values.config.djangoEnv | quote }}
BASE_DOMAIN: {{ .Values.domain | quote }}
SITE_SCHEME: {{ .Values.config.siteScheme | quote }}
SITE_PORT: ""
ALLOWED_HOSTS: {{ printf "%s,.%s" .Values.domain .Values.domain | quote }}
CSRF_TRUSTED_ORIGINS: {{ printf "%s://%s,%s://*.%s" .Values.config.siteScheme .Values.domain .Values.config.siteScheme .Values.domain | quote }}
TIME_ZONE: {{ .Values.config.timeZone | quote }}
LOG_LEVEL: {{ .Values.config.logLevel | quote }}
LOG_JSON: {{ .Values.config.logJson | quote }}
LUMBUNG_RELEASE: {{ include "lumbung.tag" . | quote }}
EMAIL_HOST: {{ .Values.config.emailHost | quote }}
EMAIL_PORT: {{ .Values.config.emailPort | quote }}
EMAIL_HOST_USER: {{ .Values.config.emailHostUser | quote }}
DEFAULT_FROM_EMAIL: {{ default (printf "Lumbung <noreply@%s>" .Values.domain) .Values.config.defaultFromEmail | quote }}
TRUSTED_PROXY_COUNT: {{ .Values.config.proxyCount | quote }}
DB_CONN_MAX_AGE: {{ .Values.config.dbConnMaxAge | quote }}
DB_POOL_MODE: {{ ternary .Values.pgbouncer.poolMode .Values.config.dbPoolMode .Values.pgbouncer.enabled | quote }}
API_THROTTLE_RATE: {{ .Values.config.apiThrottleRate | quote }}
MIGRATE_PROCESSES: {{ .Values.migrations.processes | quote }}
WEB_CONCURRENCY: {{ .Values.web.concurrency | quote }}
GUNICORN_THREADS: {{ .Values.web.threads | quote }}
GUNICORN_TIMEOUT: {{ .Values.web.timeoutSeconds | quote }}
GUNICORN_FORWARDED_ALLOW_IPS: "*"
CELERY_CONCURRENCY: {{ .Values.worker.concurrency | quote }}
CELERY_MAX_TASKS_PER_CHILD: {{ .Values.worker.maxTasksPerChild | quote }}
CELERY_QUEUES: {{ .Values.worker.queues | quote }}
CELERY_METRICS_PORT: {{ .Values.metrics.workerPort | quote }}
MEDIA_ROOT: "/var/lib/lumbung/media"
XDG_CACHE_HOME: "/tmp/.cache"
{{- range $name, $value := .Values.config.extra }}
{{ $name }}: {{ $value | toString | quote }}
{{- end }}
{{- end -}}

{{/* The chart Secret's data (only non-empty values) */}}
{{- define "lumbung.secretData" -}}
{{- range $name, $value := .Values.secrets }}
{{- if $value }}
{{ $name }}: {{ $value | toString | b64enc | quote }}
{{- end }}
{{- end }}
{{- end -}}

{{/* Environment of every app container: ConfigMap, Secret, bundled services */}}
{{- define "lumbung.envFrom" -}}
- configMapRef:
    name: {{ .configMap }}
- secretRef:
    name: {{ .secret }}
{{- end -}}

{{- define "lumbung.env" -}}
{{- if .Values.postgresql.enabled }}
- name: POSTGRES_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ include "lumbung.fullname" . }}-postgresql
      key: password
- name: DATABASE_URL
  value: {{ printf "postgres://%s:$(POSTGRES_PASSWORD)@%s-postgresql:5432/%s" .Values.postgresql.auth.username (include "lumbung.fullname" .) .Values.postgresql.auth.database | quote }}
{{- end }}
{{- if .Values.redis.enabled }}
- name: REDIS_URL
  value: {{ printf "redis://%s-redis:6379/0" (include "lumbung.fullname" .) | quote }}
{{- end }}
{{- end -}}

{{/* Pod-level settings shared by every app pod */}}
{{- define "lumbung.podCommon" -}}
automountServiceAccountToken: false
{{- with .Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
securityContext:
  {{- toYaml .Values.podSecurityContext | nindent 2 }}
{{- end -}}

{{- define "lumbung.volumes" -}}
- name: tmp
  emptyDir:
    sizeLimit: {{ .Values.tmpSizeLimit }}
- name: media
{{- if .Values.media.persistence.enabled }}
  persistentVolumeClaim:
    claimName: {{ default (printf "%s-media" (include "lumbung.fullname" .)) .Values.media.persistence.existingClaim }}
{{- else }}
  emptyDir: {}
{{- end }}
{{- end -}}

{{- define "lumbung.volumeMounts" -}}
- name: tmp
  mountPath: /tmp
- name: media
  mountPath: /var/lib/lumbung/media
{{- end -}}

{{/* Checksums: pods restart when the configuration they read changes */}}
{{- define "lumbung.checksums" -}}
checksum/config: {{ include (print .Template.BasePath "/configmap.yaml") . | sha256sum }}
checksum/secret: {{ printf "%s|%s" (include (print .Template.BasePath "/secret.yaml") .) .Values.existingSecret | sha256sum }}
{{- end -}}

{{/* Hooks of the migration Job: before install/upgrade, or after install when the bundled
PostgreSQL has to exist first */}}
{{- define "lumbung.migrationHooks" -}}
{{- if .Values.postgresql.enabled -}}
post-install,pre-upgrade
{{- else -}}
pre-install,pre-upgrade
{{- end -}}
{{- end -}}
