{{- /* One Deployment, or one per shard (values shards:): the same pod, each with its own shard flags. */}}
{{- define "vao.deployment" -}}
{{- $root := .root -}}
{{- $shard := .shard -}}
{{- $v := $root.Values -}}
{{- $replicas := $v.replicaCount -}}
{{- if hasKey $shard "replicaCount" }}{{ $replicas = $shard.replicaCount }}{{ end -}}
{{- $peered := gt (int $replicas) 1 -}}
{{- $suffix := "" -}}
{{- $peering := $v.peering.name -}}
{{- with $shard.name }}{{ $suffix = printf "-%s" . }}{{ $peering = printf "%s-%s" $v.peering.name . }}{{ end -}}
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ include "vao.fullname" $root }}-controller-manager{{ $suffix }}
  namespace: {{ include "vao.namespace" $root }}
  labels:
    {{- include "vao.labels" $root | nindent 4 }}
spec:
  replicas: {{ $replicas }}
  strategy:
    {{- if $peered }}
    type: RollingUpdate
    {{- else }}
    # One standalone operator: never two at once (a rolling update would overlap them).
    type: Recreate
    {{- end }}
  selector:
    matchLabels:
      {{- include "vao.selectorLabels" $root | nindent 6 }}
      {{- with $shard.name }}
      vault.platform.io/shard: {{ . }}
      {{- end }}
  template:
    metadata:
      labels:
        {{- include "vao.labels" $root | nindent 8 }}
        {{- with $shard.name }}
        vault.platform.io/shard: {{ . }}
        {{- end }}
        {{- with $v.podLabels }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
      {{- with $v.podAnnotations }}
      annotations:
        {{- toYaml . | nindent 8 }}
      {{- end }}
    spec:
      serviceAccountName: {{ include "vao.serviceAccountName" $root }}
      automountServiceAccountToken: {{ $v.serviceAccount.automountServiceAccountToken }}
      terminationGracePeriodSeconds: {{ $v.terminationGracePeriodSeconds }}
      {{- with $v.priorityClassName }}
      priorityClassName: {{ . }}
      {{- end }}
      {{- with $v.imagePullSecrets }}
      imagePullSecrets:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      securityContext:
        {{- toYaml $v.podSecurityContext | nindent 8 }}
      containers:
        - name: manager
          image: {{ include "vao.image" $root | quote }}
          imagePullPolicy: {{ $v.image.pullPolicy }}
          command: [vault-access-operator, run]
          args:
            - --liveness=http://0.0.0.0:8080/healthz
            {{- if $peered }}
            - --peering={{ $peering }}
            - --peering-lifetime={{ $v.peering.lifetime }}
            {{- else }}
            - --standalone
            {{- end }}
            {{- with $shard.name }}
            - --shard={{ . }}
            {{- range $shard.namespaces }}
            - {{ printf "--shard-namespace=%s" . | quote }}
            {{- end }}
            {{- range $key, $value := $shard.selector }}
            - {{ printf "--shard-selector=%s=%s" $key $value | quote }}
            {{- end }}
            {{- if $shard.clusterScoped }}
            - --cluster-scoped
            {{- end }}
            {{- end }}
            - --metrics-port={{ ternary $v.metrics.port 0 $v.metrics.enabled }}
            {{- if eq $v.logLevel "debug" }}
            - --debug
            {{- else if eq $v.logLevel "warning" }}
            - --quiet
            {{- end }}
            {{- /* The trust policy (values.yaml trust:); the RBAC grants follow the same values. */}}
            {{- with $v.trust }}
            {{- range .secretNamespaces }}
            - {{ printf "--secret-namespace=%s" . | quote }}
            {{- end }}
            {{- range .tokenServiceAccounts }}
            - {{ printf "--token-service-account=%s" . | quote }}
            {{- end }}
            {{- range .apiAudiences }}
            - {{ printf "--api-audience=%s" . | quote }}
            {{- end }}
            - {{ printf "--max-token-lifetime=%s" .maxTokenLifetime | quote }}
            {{- if .allowMountedToken }}
            - --allow-mounted-token
            {{- end }}
            {{- range .vaultAddresses }}
            - {{ printf "--vault-address=%s" . | quote }}
            {{- end }}
            {{- end }}
            {{- with $v.clusterName }}
            - {{ printf "--cluster-name=%s" . | quote }}
            {{- end }}
            {{- with $v.tenancy.confinement }}
            - {{ printf "--tenancy-confinement=%s" . | quote }}
            {{- end }}
            {{- range $v.extraArgs }}
            - {{ . | quote }}
            {{- end }}
          env:
            - name: OPERATOR_NAMESPACE
              valueFrom:
                fieldRef:
                  fieldPath: metadata.namespace
            - name: OPERATOR_SERVICE_ACCOUNT
              valueFrom:
                fieldRef:
                  fieldPath: spec.serviceAccountName
            # kopf's peering identity: the pod name instead of user@host/time/random.
            - name: POD_ID
              valueFrom:
                fieldRef:
                  fieldPath: metadata.name
            {{- with $v.extraEnv }}
            {{- toYaml . | nindent 12 }}
            {{- end }}
          ports:
            - name: health
              containerPort: 8080
              protocol: TCP
            {{- if $v.metrics.enabled }}
            - name: metrics
              containerPort: {{ $v.metrics.port }}
              protocol: TCP
            {{- end }}
          # kopf's liveness endpoint answers 200 while the operator's probes pass.
          livenessProbe:
            httpGet:
              path: /healthz
              port: health
            initialDelaySeconds: 10
            periodSeconds: 20
            timeoutSeconds: 5
            failureThreshold: 3
          readinessProbe:
            httpGet:
              path: /healthz
              port: health
            initialDelaySeconds: 5
            periodSeconds: 10
            timeoutSeconds: 5
            failureThreshold: 3
          {{- with $v.resources }}
          resources:
            {{- toYaml . | nindent 12 }}
          {{- end }}
          securityContext:
            {{- toYaml $v.securityContext | nindent 12 }}
          volumeMounts:
            # The root filesystem is read-only; Python and the Kubernetes client may need a writable /tmp.
            - name: tmp
              mountPath: /tmp
      volumes:
        - name: tmp
          emptyDir:
            sizeLimit: 64Mi
      {{- with $v.nodeSelector }}
      nodeSelector:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with $v.affinity }}
      affinity:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with $v.tolerations }}
      tolerations:
        {{- toYaml . | nindent 8 }}
      {{- end }}
{{- end -}}
