{{- define "webhookd.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "webhookd.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}

{{/* selector: labels of one component (ingress, worker, migrate, setup) */}}
{{- define "webhookd.selector" -}}
app.kubernetes.io/name: {{ .root.Chart.Name }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{/* No public image is published: the repository is the operator's. */}}
{{- define "webhookd.image" -}}
{{- if not .Values.image.repository -}}
{{- fail "image.repository is required: build webhookd's image from the repository's Dockerfile (`make image`), push it to a registry your cluster pulls from, and set image.repository (and image.tag, default the chart's appVersion)" -}}
{{- end -}}
{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}
{{- end -}}

{{/* The worker's codec token: from codec.authTokenSecret when the codec is
     enabled (rendering fails without one), else empty, which turns the
     codec server off whatever existingSecret holds. */}}
{{- define "webhookd.codecEnv" -}}
- name: WEBHOOKD_CODEC_AUTH_TOKEN
{{- if .Values.codec.enabled }}
  valueFrom:
    secretKeyRef:
      name: {{ required "codec.authTokenSecret.name is required with codec.enabled: the codec server decrypts every payload, so it is served only with a bearer token; create a Secret with one (openssl rand -hex 32) and name it here" .Values.codec.authTokenSecret.name }}
      key: {{ required "codec.authTokenSecret.key: the Secret's key holding the codec token" .Values.codec.authTokenSecret.key }}
{{- else }}
  value: ""
{{- end }}
{{- end -}}

{{/* The settings every webhookd container gets: the chart's, then the
     Secret's (envFrom), which never holds what the chart sets. */}}
{{- define "webhookd.env" -}}
- name: TEMPORAL_ADDRESS
  value: {{ .Values.temporal.address | quote }}
- name: TEMPORAL_NAMESPACE
  value: {{ .Values.temporal.namespace | quote }}
- name: TEMPORAL_UI_URL
  value: {{ .Values.temporal.uiURL | quote }}
{{- range $k, $v := .Values.env }}
- name: {{ $k }}
  value: {{ $v | quote }}
{{- end }}
{{- end -}}

{{- define "webhookd.envFrom" -}}
- secretRef:
    name: {{ required "existingSecret: the name of the Secret with DATABASE_URL and the provider secrets" .Values.existingSecret }}
{{- end -}}

{{- define "webhookd.pod" -}}
{{- with .Values.imagePullSecrets }}
imagePullSecrets: {{ toYaml . | nindent 2 }}
{{- end }}
securityContext: {{ toYaml .Values.podSecurityContext | nindent 2 }}
{{- with .Values.nodeSelector }}
nodeSelector: {{ toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.tolerations }}
tolerations: {{ toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.affinity }}
affinity: {{ toYaml . | nindent 2 }}
{{- end }}
{{- end -}}
