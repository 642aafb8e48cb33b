{{/* Chart name, truncated to the 63 characters of a DNS label. */}}
{{- define "vao.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Prefix of object names: the release name, or release-chart when the release name lacks the chart name. */}}
{{- define "vao.fullname" -}}
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

{{/* Namespace of the namespaced objects: .Values.namespace, else the release namespace. */}}
{{- define "vao.namespace" -}}
{{- default .Release.Namespace .Values.namespace -}}
{{- end -}}

{{- define "vao.serviceAccountName" -}}
{{- .Values.serviceAccount.name -}}
{{- end -}}

{{- define "vao.selectorLabels" -}}
app.kubernetes.io/name: {{ include "vao.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: controller-manager
{{- end -}}

{{- define "vao.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "vao.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: vault-access-operator
{{- end -}}

{{- define "vao.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}

{{/* The deployments: one per entry of shards, or one with no shard (an empty dict). */}}
{{- define "vao.shards" -}}
{{- if .Values.shards }}{{ toJson .Values.shards }}{{ else }}[{}]{{ end -}}
{{- end -}}

{{/* Shards must name themselves uniquely and exactly one must own the cluster-scoped objects. */}}
{{- define "vao.checkShards" -}}
{{- if .Values.shards }}
{{- $names := list }}
{{- $owners := 0 }}
{{- range .Values.shards }}
{{- if has .name $names }}{{ fail (printf "shards: the name %s is used twice" .name) }}{{ end }}
{{- $names = append $names .name }}
{{- if .clusterScoped }}{{ $owners = add1 $owners }}{{ end }}
{{- end }}
{{- if ne (int $owners) 1 }}
{{- fail (printf "shards: exactly one shard must set clusterScoped: true (it writes the VaultConnections' status and serves the cluster-scoped kinds); %d do" (int $owners)) }}
{{- end }}
{{- end }}
{{- end -}}

{{/* The peering objects: one per deployment with several replicas (name, or name-shard). */}}
{{- define "vao.peerings" -}}
{{- $peerings := list }}
{{- range (include "vao.shards" . | fromJsonArray) }}
{{- $replicas := ternary .replicaCount $.Values.replicaCount (hasKey . "replicaCount") }}
{{- if gt (int $replicas) 1 }}
{{- $peerings = append $peerings (ternary (printf "%s-%s" $.Values.peering.name (.name | default "")) $.Values.peering.name (hasKey . "name")) }}
{{- end }}
{{- end }}
{{- toJson $peerings }}
{{- end -}}

{{/* Several replicas coordinate through kopf peering; one runs standalone. True if any deployment is peered. */}}
{{- define "vao.peered" -}}
{{- if (include "vao.peerings" . | fromJsonArray) }}true{{ end -}}
{{- end -}}
