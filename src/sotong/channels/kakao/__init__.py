"""KakaoTalk channel chatbot: the Open Builder skill server, the callback flow and the Event API."""
