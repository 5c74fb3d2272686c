{{/* Names ------------------------------------------------------------------------------- */}}

{{- define "outpost.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "outpost.fullname" -}}
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

{{- define "outpost.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* The chart's own Secret (generated keys and credentials given as values). */}}
{{- define "outpost.secretName" -}}
{{- printf "%s-credentials" (include "outpost.fullname" .) | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "outpost.minioName" -}}
{{- printf "%s-minio" (include "outpost.fullname" .) | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "outpost.minioImage" -}}
{{- $image := .Values.minio.image -}}
{{- if $image.digest -}}
{{- printf "%s@%s" $image.repository $image.digest -}}
{{- else -}}
{{- printf "%s:%s" $image.repository $image.tag -}}
{{- end -}}
{{- end -}}

{{- define "outpost.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "outpost.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{/* Labels: call with (dict "ctx" $ "component" "server") ---------------------------------- */}}

{{- define "outpost.selectorLabels" -}}
app.kubernetes.io/name: {{ include "outpost.name" .ctx }}
app.kubernetes.io/instance: {{ .ctx.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{- define "outpost.labels" -}}
helm.sh/chart: {{ include "outpost.chart" .ctx }}
{{ include "outpost.selectorLabels" . }}
app.kubernetes.io/version: {{ .ctx.Chart.AppVersion | quote }}
app.kubernetes.io/part-of: outpost
app.kubernetes.io/managed-by: {{ .ctx.Release.Service }}
{{- end -}}

{{/* Images ------------------------------------------------------------------------------ */}}

{{- define "outpost.image" -}}
{{- if .Values.image.digest -}}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest -}}
{{- else -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}
{{- end -}}

{{/* URLs -------------------------------------------------------------------------------- */}}

{{- define "outpost.url" -}}
{{- if .Values.url -}}
{{- .Values.url | trimSuffix "/" -}}
{{- else if .Values.ingress.enabled -}}
{{- printf "%s://%s" (ternary "https" "http" .Values.ingress.tls.enabled) .Values.ingress.host -}}
{{- else -}}
{{- printf "http://%s.%s.svc:%v" (include "outpost.fullname" .) .Release.Namespace .Values.service.port -}}
{{- end -}}
{{- end -}}

{{- define "outpost.minioEndpoint" -}}
{{- if .Values.minio.endpoint -}}
{{- .Values.minio.endpoint | trimSuffix "/" -}}
{{- else if .Values.minio.ingress.enabled -}}
{{- printf "%s://%s" (ternary "https" "http" .Values.minio.ingress.tls.enabled) .Values.minio.ingress.host -}}
{{- else -}}
{{- printf "http://%s.%s.svc:9000" (include "outpost.minioName" .) .Release.Namespace -}}
{{- end -}}
{{- end -}}

{{/* Which credentials live in the chart's own Secret ------------------------------------ */}}

{{- define "outpost.generatesKeys" -}}
{{- if not .Values.secrets.existingSecret }}true{{ end -}}
{{- end -}}

{{- define "outpost.databaseInChartSecret" -}}
{{- if not .Values.database.existingSecret }}true{{ end -}}
{{- end -}}

{{- define "outpost.s3KeysInChartSecret" -}}
{{- if and (eq .Values.storage.type "s3") (not .Values.storage.s3.existingSecret) .Values.storage.s3.accessKey }}true{{ end -}}
{{- end -}}

{{- define "outpost.redisName" -}}
{{- printf "%s-redis" (include "outpost.fullname" .) | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Client-address hops: the value, or 1 behind the chart's ingress, else 0. */}}
{{- define "outpost.trustedProxies" -}}
{{- if kindIs "invalid" .Values.trustedProxies -}}
{{- ternary 1 0 .Values.ingress.enabled -}}
{{- else -}}
{{- int .Values.trustedProxies -}}
{{- end -}}
{{- end -}}

{{- define "outpost.externalRedis" -}}
{{- if or .Values.rateLimit.storageUri .Values.rateLimit.existingSecret }}true{{ end -}}
{{- end -}}

{{/* The server's rate-limit store: the bundled Redis (password from the chart's Secret, put
     into the URL by Kubernetes' $(VAR) expansion), the operator's URL or Secret, or none. */}}
{{- define "outpost.rateLimitEnv" -}}
{{- if .Values.rateLimit.redis.enabled }}
- name: RATELIMIT_REDIS_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ include "outpost.secretName" . }}
      key: redis-password
- name: OUTPOST_RATELIMIT_STORAGE_URI
  value: {{ printf "redis://:$(RATELIMIT_REDIS_PASSWORD)@%s:6379/0" (include "outpost.redisName" .) | quote }}
{{- else if .Values.rateLimit.existingSecret }}
- name: OUTPOST_RATELIMIT_STORAGE_URI
  valueFrom:
    secretKeyRef:
      name: {{ .Values.rateLimit.existingSecret }}
      key: {{ .Values.rateLimit.existingSecretKey }}
{{- else if .Values.rateLimit.storageUri }}
- name: OUTPOST_RATELIMIT_STORAGE_URI
  value: {{ .Values.rateLimit.storageUri | quote }}
{{- end }}
{{- end -}}

{{- define "outpost.metricsTokenInChartSecret" -}}
{{- if and .Values.metrics.enabled (not .Values.metrics.existingSecret) }}true{{ end -}}
{{- end -}}

{{- define "outpost.metricsTokenRef" -}}
name: {{ default (include "outpost.secretName" .) .Values.metrics.existingSecret }}
key: {{ ternary "metrics-token" .Values.metrics.existingSecretKey (empty .Values.metrics.existingSecret) }}
{{- end -}}

{{- define "outpost.smtpInChartSecret" -}}
{{- if and (not .Values.smtp.existingSecret) .Values.smtp.password }}true{{ end -}}
{{- end -}}

{{- define "outpost.needsChartSecret" -}}
{{- if or (include "outpost.generatesKeys" .) (include "outpost.databaseInChartSecret" .) .Values.license.token (include "outpost.s3KeysInChartSecret" .) (include "outpost.smtpInChartSecret" .) .Values.rateLimit.redis.enabled (include "outpost.metricsTokenInChartSecret" .) }}true{{ end -}}
{{- end -}}

{{/* SMTP credentials, from the operator's Secret or the chart's (server and maintenance). */}}
{{- define "outpost.smtpEnv" -}}
{{- if or .Values.smtp.existingSecret .Values.smtp.password }}
{{- $name := default (include "outpost.secretName" .) .Values.smtp.existingSecret }}
{{- $own := empty .Values.smtp.existingSecret }}
- name: OUTPOST_SMTP_USERNAME
  valueFrom:
    secretKeyRef:
      name: {{ $name }}
      key: {{ ternary "smtp-username" .Values.smtp.usernameKey $own }}
- name: OUTPOST_SMTP_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ $name }}
      key: {{ ternary "smtp-password" .Values.smtp.passwordKey $own }}
{{- end }}
{{- end -}}

{{- define "outpost.databaseUrl" -}}
{{- $db := .Values.database -}}
{{- printf "postgresql+psycopg://%s:%s@%s:%v/%s?sslmode=%s" (urlquery $db.user | replace "+" "%20") (urlquery $db.password | replace "+" "%20") $db.host $db.port (urlquery $db.name) $db.sslmode -}}
{{- end -}}

{{/* Refuse combinations the schema cannot express, with a message saying what to set. */}}
{{- define "outpost.validate" -}}
{{- if and (not .Values.database.existingSecret) (not .Values.database.host) -}}
{{- fail "database: set database.existingSecret (a Secret holding the URL) or database.host and database.password; Outpost needs an external PostgreSQL." -}}
{{- end -}}
{{- if and (not .Values.database.existingSecret) (not .Values.database.password) -}}
{{- fail "database.password is required with database.host (or put the whole URL in database.existingSecret)." -}}
{{- end -}}
{{- if and .Values.license.existingSecret .Values.license.token -}}
{{- fail "license: set either license.existingSecret or license.token, not both." -}}
{{- end -}}
{{- if and (eq .Values.storage.type "s3") (ne (empty .Values.storage.s3.accessKey) (empty .Values.storage.s3.secretKey)) -}}
{{- fail "storage.s3: set both accessKey and secretKey, or neither." -}}
{{- end -}}
{{- if and .Values.ingress.enabled .Values.ingress.tls.enabled (not .Values.ingress.tls.secretName) -}}
{{- fail "ingress.tls.secretName is required when ingress.tls.enabled is true." -}}
{{- end -}}
{{- if and .Values.autoscaling.enabled (gt (int .Values.autoscaling.minReplicas) (int .Values.autoscaling.maxReplicas)) -}}
{{- fail (printf "autoscaling.minReplicas (%v) must not be greater than autoscaling.maxReplicas (%v)." .Values.autoscaling.minReplicas .Values.autoscaling.maxReplicas) -}}
{{- end -}}
{{- if gt (len (compact (list .Values.rateLimit.storageUri .Values.rateLimit.existingSecret (ternary "redis" "" .Values.rateLimit.redis.enabled)))) 1 -}}
{{- fail "rateLimit: set one of rateLimit.storageUri, rateLimit.existingSecret or rateLimit.redis.enabled." -}}
{{- end -}}
{{- if and .Values.smtp.existingSecret (or .Values.smtp.username .Values.smtp.password) -}}
{{- fail "smtp: set either smtp.existingSecret or smtp.username/password, not both." -}}
{{- end -}}
{{- if and (eq .Values.storage.type "minio") .Values.minio.ingress.enabled (not .Values.minio.ingress.host) -}}
{{- fail "minio.ingress.host is required when minio.ingress.enabled is true." -}}
{{- end -}}
{{- end -}}

{{/* Environment shared by the server, the migration job and the bucket job.
     Call with (dict "ctx" $ "storage" true). */}}
{{- define "outpost.env" -}}
{{- $ := .ctx -}}
{{- $secret := include "outpost.secretName" $ -}}
- name: OUTPOST_ENV
  value: production
- name: OUTPOST_URL
  value: {{ include "outpost.url" $ | quote }}
- name: OUTPOST_DATA_DIR
  value: /var/lib/outpost
- name: OUTPOST_SECRET_KEY
  valueFrom:
    secretKeyRef:
      name: {{ default $secret $.Values.secrets.existingSecret }}
      key: {{ ternary "secret-key" $.Values.secrets.secretKeyKey (empty $.Values.secrets.existingSecret) }}
- name: OUTPOST_ENCRYPTION_KEY
  valueFrom:
    secretKeyRef:
      name: {{ default $secret $.Values.secrets.existingSecret }}
      key: {{ ternary "encryption-key" $.Values.secrets.encryptionKeyKey (empty $.Values.secrets.existingSecret) }}
- name: OUTPOST_DATABASE_URL
  valueFrom:
    secretKeyRef:
      name: {{ default $secret $.Values.database.existingSecret }}
      key: {{ ternary "database-url" $.Values.database.existingSecretKey (empty $.Values.database.existingSecret) }}
{{- if or $.Values.license.existingSecret $.Values.license.token }}
- name: OUTPOST_LICENSE_FILE
  value: /etc/outpost/license/license
{{- end }}
{{- range $key, $value := $.Values.config }}
- name: {{ printf "OUTPOST_%s" (upper $key) }}
  value: {{ $value | toString | quote }}
{{- end }}
{{- if .storage }}
{{ include "outpost.storageEnv" $ }}
{{- end }}
{{- with $.Values.extraEnv }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{- define "outpost.storageEnv" -}}
- name: OUTPOST_STORAGE_PROVIDER
  value: {{ .Values.storage.type | quote }}
- name: OUTPOST_STORAGE_BUCKET_PREFIX
  value: {{ .Values.storage.bucketPrefix | quote }}
{{- if eq .Values.storage.type "minio" }}
{{- $minioSecret := default (include "outpost.minioName" .) .Values.minio.auth.existingSecret }}
- name: OUTPOST_STORAGE_ENDPOINT
  value: {{ include "outpost.minioEndpoint" . | quote }}
- name: OUTPOST_STORAGE_REGION
  value: {{ .Values.minio.region | quote }}
# Outpost's own user, limited to its buckets; never the root credentials.
- name: OUTPOST_STORAGE_ACCESS_KEY
  valueFrom:
    secretKeyRef:
      name: {{ $minioSecret }}
      key: {{ ternary "app-user" .Values.minio.auth.appUserKey (empty .Values.minio.auth.existingSecret) }}
- name: OUTPOST_STORAGE_SECRET_KEY
  valueFrom:
    secretKeyRef:
      name: {{ $minioSecret }}
      key: {{ ternary "app-password" .Values.minio.auth.appPasswordKey (empty .Values.minio.auth.existingSecret) }}
{{- else if eq .Values.storage.type "s3" }}
{{- if .Values.storage.s3.endpoint }}
- name: OUTPOST_STORAGE_ENDPOINT
  value: {{ .Values.storage.s3.endpoint | quote }}
{{- end }}
- name: OUTPOST_STORAGE_REGION
  value: {{ .Values.storage.s3.region | quote }}
{{- if or .Values.storage.s3.existingSecret .Values.storage.s3.accessKey }}
{{- $s3Secret := default (include "outpost.secretName" .) .Values.storage.s3.existingSecret }}
- name: OUTPOST_STORAGE_ACCESS_KEY
  valueFrom:
    secretKeyRef:
      name: {{ $s3Secret }}
      key: {{ ternary "storage-access-key" .Values.storage.s3.accessKeyKey (empty .Values.storage.s3.existingSecret) }}
- name: OUTPOST_STORAGE_SECRET_KEY
  valueFrom:
    secretKeyRef:
      name: {{ $s3Secret }}
      key: {{ ternary "storage-secret-key" .Values.storage.s3.secretKeyKey (empty .Values.storage.s3.existingSecret) }}
{{- end }}
{{- else if eq .Values.storage.type "gcs" }}
{{- if .Values.storage.gcs.endpoint }}
- name: OUTPOST_STORAGE_ENDPOINT
  value: {{ .Values.storage.gcs.endpoint | quote }}
{{- end }}
{{- if .Values.storage.gcs.location }}
- name: OUTPOST_STORAGE_REGION
  value: {{ .Values.storage.gcs.location | quote }}
{{- end }}
{{- if .Values.storage.gcs.existingSecret }}
- name: GOOGLE_APPLICATION_CREDENTIALS
  value: /etc/outpost/gcs/credentials.json
{{- end }}
{{- end }}
{{- end -}}

{{/* Volumes: writable /tmp and data dir (the root filesystem is read-only), license, GCS key. */}}
{{- define "outpost.volumes" -}}
{{- with .Values.extraVolumes }}
{{ toYaml . }}
{{- end }}
- name: tmp
  emptyDir: {}
- name: data
  emptyDir: {}
{{- if or .Values.license.existingSecret .Values.license.token }}
- name: license
  secret:
    secretName: {{ default (include "outpost.secretName" .) .Values.license.existingSecret }}
    items:
      - key: {{ ternary "license" .Values.license.key (empty .Values.license.existingSecret) }}
        path: license
{{- end }}
{{- if and (eq .Values.storage.type "gcs") .Values.storage.gcs.existingSecret }}
- name: gcs-credentials
  secret:
    secretName: {{ .Values.storage.gcs.existingSecret }}
    items:
      - key: {{ .Values.storage.gcs.key }}
        path: credentials.json
{{- end }}
{{- end -}}

{{- define "outpost.volumeMounts" -}}
{{- with .Values.extraVolumeMounts }}
{{ toYaml . }}
{{- end }}
- name: tmp
  mountPath: /tmp
- name: data
  mountPath: /var/lib/outpost
{{- if or .Values.license.existingSecret .Values.license.token }}
- name: license
  mountPath: /etc/outpost/license
  readOnly: true
{{- end }}
{{- if and (eq .Values.storage.type "gcs") .Values.storage.gcs.existingSecret }}
- name: gcs-credentials
  mountPath: /etc/outpost/gcs
  readOnly: true
{{- end }}
{{- end -}}

{{/* The ServiceAccount of the pre-install/pre-upgrade hooks. Helm creates the release's
     ordinary objects only after those hooks, so when the chart makes the account, the hooks get
     their own one, itself a hook with a lower weight. An existing account (create: false) is
     there already. */}}
{{- define "outpost.hookServiceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- printf "%s-hooks" (include "outpost.serviceAccountName" .) | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- include "outpost.serviceAccountName" . -}}
{{- end -}}
{{- end -}}

{{/* Pod-level settings shared by every Outpost pod. Call with the root context, or with
     (dict "ctx" $ "hook" true) for a pre-install/pre-upgrade hook. */}}
{{- define "outpost.podCommon" -}}
{{- $hook := false -}}
{{- if hasKey . "ctx" }}{{ $hook = .hook }}{{ end -}}
{{- with (ternary .ctx . (hasKey . "ctx")) -}}
serviceAccountName: {{ ternary (include "outpost.hookServiceAccountName" .) (include "outpost.serviceAccountName" .) $hook }}
automountServiceAccountToken: false
{{- with .Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
securityContext:
  {{- toYaml .Values.podSecurityContext | nindent 2 }}
{{- with .Values.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end }}
{{- end -}}

{{/* One NetworkPolicy egress rule: (dict "to" PEERS "ports" PORTS ["udp" true]); no peers
     means any address. */}}
{{- define "outpost.egressRule" -}}
- ports:
    {{- range .ports }}
    - port: {{ int . }}
      protocol: TCP
    {{- if $.udp }}
    - port: {{ int . }}
      protocol: UDP
    {{- end }}
    {{- end }}
  {{- with .to }}
  to:
    {{- toYaml . | nindent 4 }}
  {{- end }}
{{- end -}}

{{/* The metadata server is reachable when asked, or by default when the storage uses the
     pod's own identity (GCS without a key file, S3 without keys). */}}
{{- define "outpost.cloudMetadataEgress" -}}
{{- $on := .Values.networkPolicy.egress.cloudMetadata.enabled -}}
{{- if kindIs "invalid" $on -}}
{{- $gcs := and (eq .Values.storage.type "gcs") (not .Values.storage.gcs.existingSecret) -}}
{{- $s3 := and (eq .Values.storage.type "s3") (not .Values.storage.s3.existingSecret) (not .Values.storage.s3.accessKey) -}}
{{- if or $gcs $s3 }}true{{ end -}}
{{- else if $on }}true{{ end -}}
{{- end -}}
