from backend.errors import ServiceUnavailable


class NotReady(ServiceUnavailable):
    code = "not_ready"
    message_vi = "Dịch vụ chưa sẵn sàng: một thành phần không phản hồi."
    message_en = "The service is not ready: a component does not answer."
