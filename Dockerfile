FROM python:3.11-slim
WORKDIR /srv/codoc
COPY requirements.txt requirements-nlp.txt ./
RUN pip install --no-cache-dir -r requirements.txt -r requirements-nlp.txt
COPY . .
RUN pip install --no-cache-dir --no-deps -e . \
 && python -c "import nlp; nlp.get_engine(wait=None)"   # build the NLP pipeline cache into the image
ENV CODOC_ENV=production
EXPOSE 8000
# Indexes first (idempotent), then gunicorn; each worker is stateless (Mongo + Redis hold all state).
CMD ["sh", "-c", "codoc init-db && gunicorn --bind 0.0.0.0:8000 --workers 4 --threads 4 'app:create_app()'"]
