"""AI-assisted reward proposals: policy retrieval, proposers and the decision log.

Agents propose, guardrails in :mod:`loyalty.domain.guardrails` decide. This
package holds the policy corpus parser and vector store, the retrieval used by
both proposers, the Semantic Kernel wiring and the append-only decision log.
Nothing here builds its own database engine or chat client from globals: the
worker hands them in.
"""
