"""Coded errors of « Contacter un agent » (house rule 6)."""

from choeur.core.errors import ChoeurError


class ChatError(ChoeurError):
    pass


class ConversationNotFound(ChatError):
    # Whether it exists elsewhere is not told: someone else's conversation is not found.
    code = "CHAT_CONVERSATION_NOT_FOUND"
    http_status = 404
    message_fr = "Cette conversation est introuvable."
    message_en = "This conversation was not found."


class NotAnAgent(ChatError):
    code = "CHAT_NOT_AN_AGENT"
    http_status = 403
    message_fr = "Seuls les agents du support de la plateforme répondent aux conversations."
    message_en = "Only the platform's support agents answer conversations."


class NoAgentAvailable(ChatError):
    code = "CHAT_NO_AGENT_AVAILABLE"
    http_status = 409
    message_fr = ("Aucun agent n'est disponible pour le moment : émettez une sollicitation, "
                  "elle reprend votre échange avec l'assistant.")
    message_en = ("No agent is available at the moment: send a sollicitation, it quotes your "
                  "exchange with the assistant.")


class AlreadyTaken(ChatError):
    code = "CHAT_ALREADY_TAKEN"
    http_status = 409
    message_fr = "Un autre agent a déjà pris cette conversation en charge."
    message_en = "Another agent has already taken this conversation."


class ConversationEnded(ChatError):
    code = "CHAT_CONVERSATION_ENDED"
    http_status = 409
    message_fr = "Cette conversation est terminée : on n'y écrit plus."
    message_en = "This conversation has ended: nothing more can be written in it."


class NotYourTurn(ChatError):
    code = "CHAT_NOT_TAKEN"
    http_status = 409
    message_fr = "Prenez la conversation en charge avant d'y répondre."
    message_en = "Take the conversation before answering in it."


class MessageEmpty(ChatError):
    code = "CHAT_MESSAGE_EMPTY"
    message_fr = "Écrivez votre message."
    message_en = "Write your message."


class MessageTooLong(ChatError):
    code = "CHAT_MESSAGE_TOO_LONG"
    message_fr = "Le message est trop long ({limit} caractères au plus)."
    message_en = "The message is too long ({limit} characters at most)."


class TooManyMessages(ChatError):
    code = "CHAT_TOO_MANY_MESSAGES"
    http_status = 429
    message_fr = "Trop de messages en peu de temps : patientez une minute."
    message_en = "Too many messages in a short time: wait a minute."


class TooManyConversations(ChatError):
    code = "CHAT_TOO_MANY_CONVERSATIONS"
    http_status = 429
    message_fr = ("Vous avez ouvert {limit} conversations aujourd'hui : émettez une "
                  "sollicitation pour la suite.")
    message_en = ("You have opened {limit} conversations today: send a sollicitation for "
                  "what follows.")
